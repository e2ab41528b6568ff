// FrameGenerator (kind "frames", job video-frames, seed 004): key = source, value the
// seed's JSON with a base64 JPEG:
//   {"frame_id":"frame_7_1716467696700","timestamp":"2024-05-23T12:34:56.700",
//    "source":"webcam","frame_data":"/9j/4AAQ...","frame_width":640,"frame_height":480,
//    "frame_channels":3,"frame_size_bytes":45678,"metadata":{"pattern":"uniform","level":128}}
// Synthetic frames: a resolution drawn from GeneratorOptions::resolutions, and a pattern:
// "uniform" (one grey level 16..240 in steps of 16, R=G=B; metadata.level holds it) or
// "gradient" (a left-to-right ramp from 0 to 255); "mixed" draws either. Each distinct
// image is encoded once and cached, so a steady stream costs a copy, not an encode.
// With frames_dir, the JPEG files (*.jpg, *.jpeg) of that folder instead, drawn in a
// seeded order and read per record; metadata.file names the file. frame_size_bytes is
// the JPEG's size. Bad records (default fraction 0): truncated JSON, base64 that decodes
// to a truncated JPEG, frame_data that is not base64.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "generators/event_clock.h"
#include "generators/generator.h"
#include "generators/random.h"

namespace sluice::generators {

class FrameGenerator final : public Generator {
 public:
  // Throws std::invalid_argument on a bad resolution or pattern, an unreadable frames_dir
  // or one without JPEG files (the message names the folder and the first bad file).
  explicit FrameGenerator(const GeneratorOptions& options);
  void next(GeneratedRecord& out) override;

 private:
  struct Image {
    std::vector<uint8_t> jpeg;
    int width = 0;
    int height = 0;
  };
  struct FileFrame {
    std::string path;
    std::string name;
    int width = 0;
    int height = 0;
  };
  const Image& synthetic(size_t resolution, bool gradient, int level);
  void append_frame_json(GeneratedRecord& out, const std::vector<uint8_t>& jpeg, int width,
                         int height, std::string_view pattern, int level,
                         std::string_view file, bool corrupt_jpeg, bool not_base64);

  Random rng_;
  EventClock clock_;
  std::vector<Resolution> resolutions_;
  std::vector<std::string> sources_;
  std::string pattern_;
  int quality_;
  std::vector<FileFrame> files_;
  std::map<uint64_t, Image> cache_;  // (resolution, gradient, level) -> encoded image
  std::vector<uint8_t> pixels_;
  std::vector<uint8_t> file_bytes_;
  uint64_t sequence_ = 0;
};

}  // namespace sluice::generators
