// JPEG through libjpeg, for the frames generator and its tests: encode an 8-bit RGB or
// grey image, read a JPEG's size, decode one to luma (what the video-frames job measures
// brightness on). Errors come back as values (libjpeg's own error exit is replaced, so a
// corrupt JPEG never ends the process). Thread-safe: each call has its own libjpeg state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace sluice::generators {

// Encodes `pixels` (width*height*components bytes, row-major, components 1 = grey or
// 3 = RGB) at `quality` (1..100) into `out` (replaced). Returns "" or what went wrong.
std::string encode_jpeg(std::span<const uint8_t> pixels, int width, int height, int components,
                        int quality, std::vector<uint8_t>& out);

struct JpegInfo {
  int width = 0;
  int height = 0;
  int components = 0;  // as stored: 1 grey, 3 YCbCr/RGB
};

// Reads the header only. Returns "" or what went wrong (not a JPEG, truncated header).
std::string read_jpeg_info(std::span<const uint8_t> jpeg, JpegInfo& info);

// Decodes to 8-bit luma (libjpeg's YCbCr -> grey conversion): width*height bytes in
// `luma` (replaced). Returns "" or what went wrong (corrupt or truncated data).
std::string decode_jpeg_luma(std::span<const uint8_t> jpeg, JpegInfo& info,
                             std::vector<uint8_t>& luma);

}  // namespace sluice::generators
