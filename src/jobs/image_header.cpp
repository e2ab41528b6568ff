#include "jobs/image_header.h"

#include <cstdint>

namespace sluice::jobs {

namespace {

uint32_t be32(std::string_view b, size_t at) {
  return uint32_t(uint8_t(b[at])) << 24 | uint32_t(uint8_t(b[at + 1])) << 16 |
         uint32_t(uint8_t(b[at + 2])) << 8 | uint32_t(uint8_t(b[at + 3]));
}
uint32_t be16(std::string_view b, size_t at) { return uint32_t(uint8_t(b[at])) << 8 | uint8_t(b[at + 1]); }

}  // namespace

std::optional<ImageSize> read_image_size(std::string_view b) {
  static constexpr std::string_view kPng("\x89PNG\r\n\x1a\n", 8);
  if (b.size() >= 24 && b.substr(0, 8) == kPng && b.substr(12, 4) == "IHDR") {
    const uint32_t w = be32(b, 16), h = be32(b, 20);
    if (w == 0 || h == 0 || w > 0x7fffffff || h > 0x7fffffff) return std::nullopt;
    return ImageSize{int(w), int(h), "png"};
  }
  if (b.size() < 4 || uint8_t(b[0]) != 0xFF || uint8_t(b[1]) != 0xD8) return std::nullopt;
  size_t pos = 2;
  while (pos + 4 <= b.size()) {
    if (uint8_t(b[pos]) != 0xFF) return std::nullopt;
    const uint8_t marker = uint8_t(b[pos + 1]);
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length
      pos += 2;
      continue;
    }
    if (marker == 0xD9 || marker == 0xDA) return std::nullopt;  // end or scan before a frame
    const uint32_t len = be16(b, pos + 2);
    if (len < 2) return std::nullopt;
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (pos + 9 > b.size() || len < 7) return std::nullopt;
      const uint32_t h = be16(b, pos + 5), w = be16(b, pos + 7);
      if (w == 0 || h == 0) return std::nullopt;
      return ImageSize{int(w), int(h), "jpeg"};
    }
    pos += 2 + len;
  }
  return std::nullopt;
}

}  // namespace sluice::jobs
