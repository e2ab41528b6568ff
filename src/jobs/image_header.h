// Image dimensions from a file's first bytes, without decoding it: PNG (IHDR) and JPEG
// (the first SOFn segment). Used by the file-uploads job's metadata. Pure; any thread.
#pragma once

#include <optional>
#include <string_view>

namespace sluice::jobs {

struct ImageSize {
  int width = 0;
  int height = 0;
  const char* format = "";  // "png" or "jpeg"
};

// The size when `bytes` start as a PNG or a JPEG whose header is complete; nullopt otherwise
// (another format, or a truncated or malformed header).
std::optional<ImageSize> read_image_size(std::string_view bytes);

}  // namespace sluice::jobs
