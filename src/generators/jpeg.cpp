#include "generators/jpeg.h"

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <string>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

namespace sluice::generators {

namespace {

// libjpeg reports fatal errors through error_exit, which by default calls exit(). This
// one jumps back to the caller with the message; the setjmp frames below hold only
// trivially destructible locals between setjmp and the jump.
struct ErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void on_output_message(j_common_ptr) {}  // warnings (e.g. premature end) are not printed

// Treat a corrupt-data warning as an error: a truncated JPEG decodes to grey padding
// otherwise, which is not the image.
void on_emit_message(j_common_ptr cinfo, int msg_level) {
  if (msg_level < 0) {
    auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, err->message);
    std::longjmp(err->jump, 1);
  }
}

void install(ErrorManager& err, bool strict) {
  jpeg_std_error(&err.base);
  err.base.error_exit = on_error_exit;
  err.base.output_message = on_output_message;
  if (strict) err.base.emit_message = on_emit_message;
  err.message[0] = '\0';
}

bool encode_raw(const uint8_t* pixels, int width, int height, int components, int quality,
                unsigned char** buffer, unsigned long* size, ErrorManager& err) {
  jpeg_compress_struct cinfo;
  cinfo.err = &err.base;
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&cinfo);
    return false;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, buffer, size);
  cinfo.image_width = static_cast<JDIMENSION>(width);
  cinfo.image_height = static_cast<JDIMENSION>(height);
  cinfo.input_components = components;
  cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  const auto stride = static_cast<size_t>(width) * static_cast<size_t>(components);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(pixels + cinfo.next_scanline * stride);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

// Decodes the header and, when `luma` is given, the image as grey. `luma` must already
// hold width*height bytes when asked to decode: the caller sizes it from a first header
// pass, so no C++ allocation happens between setjmp and a jump.
bool decode_raw(const uint8_t* data, size_t size, JpegInfo& info, uint8_t* luma,
                size_t luma_size, ErrorManager& err) {
  jpeg_decompress_struct cinfo;
  cinfo.err = &err.base;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  info.width = static_cast<int>(cinfo.image_width);
  info.height = static_cast<int>(cinfo.image_height);
  info.components = cinfo.num_components;
  if (luma != nullptr) {
    if (luma_size != static_cast<size_t>(info.width) * static_cast<size_t>(info.height)) {
      std::snprintf(err.message, sizeof err.message, "image size changed between passes");
      jpeg_destroy_decompress(&cinfo);
      return false;
    }
    cinfo.out_color_space = JCS_GRAYSCALE;
    jpeg_start_decompress(&cinfo);
    while (cinfo.output_scanline < cinfo.output_height) {
      JSAMPROW row = luma + static_cast<size_t>(cinfo.output_scanline) * cinfo.output_width;
      jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
  }
  jpeg_destroy_decompress(&cinfo);
  return true;
}

}  // namespace

std::string encode_jpeg(std::span<const uint8_t> pixels, int width, int height, int components,
                        int quality, std::vector<uint8_t>& out) {
  if (width <= 0 || height <= 0 || (components != 1 && components != 3)) {
    return "cannot encode a " + std::to_string(width) + "x" + std::to_string(height) + "x" +
           std::to_string(components) + " image as JPEG";
  }
  if (pixels.size() != static_cast<size_t>(width) * height * components) {
    return "pixel buffer holds " + std::to_string(pixels.size()) + " bytes, not width*height*" +
           "components";
  }
  ErrorManager err;
  install(err, false);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  const bool ok = encode_raw(pixels.data(), width, height, components, quality, &buffer, &size, err);
  if (ok) out.assign(buffer, buffer + size);
  std::free(buffer);
  return ok ? std::string() : std::string("JPEG encoding failed: ") + err.message;
}

std::string read_jpeg_info(std::span<const uint8_t> jpeg, JpegInfo& info) {
  ErrorManager err;
  install(err, false);
  if (!decode_raw(jpeg.data(), jpeg.size(), info, nullptr, 0, err)) {
    return std::string("not a readable JPEG: ") + err.message;
  }
  return {};
}

std::string decode_jpeg_luma(std::span<const uint8_t> jpeg, JpegInfo& info,
                             std::vector<uint8_t>& luma) {
  if (auto e = read_jpeg_info(jpeg, info); !e.empty()) return e;
  luma.assign(static_cast<size_t>(info.width) * static_cast<size_t>(info.height), 0);
  ErrorManager err;
  install(err, true);
  if (!decode_raw(jpeg.data(), jpeg.size(), info, luma.data(), luma.size(), err)) {
    return std::string("corrupt JPEG: ") + err.message;
  }
  return {};
}

}  // namespace sluice::generators
