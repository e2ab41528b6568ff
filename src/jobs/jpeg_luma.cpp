#include "jobs/jpeg_luma.h"

#include <csetjmp>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <jpeglib.h>

namespace sluice::jobs {

namespace {

// libjpeg reports fatal errors through error_exit (which would call exit()); this one
// jumps back with the message. Warnings (a premature end of data) are made fatal too, so a
// truncated frame is a bad record rather than a half-grey measurement.
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

void on_emit_message(j_common_ptr cinfo, int level) {
  if (level < 0) on_error_exit(cinfo);  // a warning: corrupt or truncated data
}

void on_output_message(j_common_ptr) {}

}  // namespace

LumaStats measure_jpeg_luma(std::string_view jpeg) {
  if (jpeg.size() < 4) throw std::runtime_error("not a JPEG: only " + std::to_string(jpeg.size()) + " bytes");
  jpeg_decompress_struct cinfo;
  ErrorManager err;
  cinfo.err = jpeg_std_error(&err.base);
  err.base.error_exit = on_error_exit;
  err.base.emit_message = on_emit_message;
  err.base.output_message = on_output_message;
  err.message[0] = '\0';
  // Everything touched after setjmp lives outside this frame's locals or is trivially
  // destructible; the row buffer is allocated by libjpeg (freed by jpeg_destroy).
  LumaStats stats;
  uint64_t sum = 0;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    throw std::runtime_error(std::string("corrupt JPEG: ") + err.message);
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(jpeg.data()), static_cast<unsigned long>(jpeg.size()));
  jpeg_read_header(&cinfo, TRUE);
  stats.components = cinfo.num_components;
  cinfo.out_color_space = JCS_GRAYSCALE;
  jpeg_start_decompress(&cinfo);
  stats.width = static_cast<int>(cinfo.output_width);
  stats.height = static_cast<int>(cinfo.output_height);
  JSAMPARRAY row = (*cinfo.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&cinfo), JPOOL_IMAGE,
                                              cinfo.output_width * cinfo.output_components, 1);
  while (cinfo.output_scanline < cinfo.output_height) {
    jpeg_read_scanlines(&cinfo, row, 1);
    const JSAMPLE* p = row[0];
    for (JDIMENSION x = 0; x < cinfo.output_width; ++x) sum += p[x];
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  const double pixels = double(stats.width) * double(stats.height);
  stats.mean_luma = pixels > 0 ? double(sum) / pixels : 0;
  return stats;
}

}  // namespace sluice::jobs
