// Decoding a JPEG to its luma plane with libjpeg, for the video-frames job's brightness.
// libjpeg's error exit is replaced, so a corrupt or truncated JPEG is an exception, never
// the end of the process. Thread-safe: each call has its own libjpeg state.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice::jobs {

struct LumaStats {
  int width = 0;
  int height = 0;
  int components = 0;     // as stored: 1 grey, 3 colour
  double mean_luma = 0;   // 0..255 over every pixel of the decoded image
};

// Decodes `jpeg` (libjpeg's YCbCr -> grey conversion, as a colour frame's Y plane) and
// averages it. Throws std::runtime_error with libjpeg's message when the data is not a
// complete JPEG (a truncated scan included: libjpeg's warning is an error here).
LumaStats measure_jpeg_luma(std::string_view jpeg);

}  // namespace sluice::jobs
