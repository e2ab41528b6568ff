#include "generators/frames.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "generators/jpeg.h"
#include "generators/kinds.h"
#include "generators/text.h"

namespace sluice::generators {

namespace {

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot read " + path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

bool is_jpeg_name(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg";
}

}  // namespace

FrameGenerator::FrameGenerator(const GeneratorOptions& options)
    : Generator(kind_info(Kind::frames), options),
      rng_(options.seed),
      clock_(options.start_ms, options.step_ms, options.disorder),
      resolutions_(options.resolutions),
      sources_(options.sources),
      pattern_(options.pattern),
      quality_(options.jpeg_quality) {
  if (resolutions_.empty()) resolutions_ = {{320, 240}, {640, 480}, {1280, 720}, {1920, 1080}};
  for (const auto& r : resolutions_) {
    if (r.width < 1 || r.height < 1 || r.width > 8192 || r.height > 8192) {
      throw std::invalid_argument("frame resolution " + std::to_string(r.width) + "x" +
                                  std::to_string(r.height) + " is outside 1x1..8192x8192");
    }
  }
  if (sources_.empty()) sources_ = {"webcam", "video_file", "sample"};
  if (pattern_ != "uniform" && pattern_ != "gradient" && pattern_ != "mixed") {
    throw std::invalid_argument("frame pattern '" + pattern_ +
                                "' is unknown: use uniform, gradient or mixed");
  }
  if (quality_ < 1 || quality_ > 100) {
    throw std::invalid_argument("JPEG quality must be 1..100, not " + std::to_string(quality_));
  }
  if (!options.frames_dir.empty()) {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::vector<fs::path> paths;
    for (fs::directory_iterator it(options.frames_dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->is_regular_file() && is_jpeg_name(it->path())) paths.push_back(it->path());
    }
    if (ec) {
      throw std::invalid_argument("cannot list frames folder " + options.frames_dir + ": " +
                                  ec.message());
    }
    if (paths.empty()) {
      throw std::invalid_argument("frames folder " + options.frames_dir +
                                  " has no .jpg or .jpeg files");
    }
    std::sort(paths.begin(), paths.end());  // a seeded draw over a fixed order
    for (const auto& p : paths) {
      const auto bytes = read_file(p.string());
      JpegInfo info;
      if (auto e = read_jpeg_info(bytes, info); !e.empty()) {
        throw std::invalid_argument(p.string() + ": " + e);
      }
      files_.push_back({p.string(), p.filename().string(), info.width, info.height});
    }
  }
}

const FrameGenerator::Image& FrameGenerator::synthetic(size_t resolution, bool gradient,
                                                       int level) {
  const uint64_t id = (uint64_t{resolution} << 16) | (uint64_t{gradient} << 8) |
                      static_cast<uint64_t>(level);
  if (auto it = cache_.find(id); it != cache_.end()) return it->second;
  const auto [w, h] = resolutions_[resolution];
  pixels_.resize(static_cast<size_t>(w) * static_cast<size_t>(h) * 3);
  for (int y = 0; y < h; ++y) {
    uint8_t* row = pixels_.data() + static_cast<size_t>(y) * static_cast<size_t>(w) * 3;
    for (int x = 0; x < w; ++x) {
      const auto v = static_cast<uint8_t>(gradient ? (w == 1 ? 0 : x * 255 / (w - 1)) : level);
      row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = v;
    }
  }
  Image image;
  image.width = w;
  image.height = h;
  if (auto e = encode_jpeg(pixels_, w, h, 3, quality_, image.jpeg); !e.empty()) {
    throw std::runtime_error(e);
  }
  return cache_.emplace(id, std::move(image)).first->second;
}

void FrameGenerator::append_frame_json(GeneratedRecord& out, const std::vector<uint8_t>& jpeg,
                                       int width, int height, std::string_view pattern,
                                       int level, std::string_view file, bool corrupt_jpeg,
                                       bool not_base64) {
  std::string& v = out.value;
  v.assign(R"({"frame_id":"frame_)");
  append_int(v, static_cast<int64_t>(sequence_));
  v.push_back('_');
  append_int(v, out.timestamp_ms);
  v.append(R"(","timestamp":")");
  append_iso8601(v, out.timestamp_ms, true, false);
  v.append(R"(","source":")");
  v.append(out.key);
  v.append(R"(","frame_data":")");
  if (not_base64) {
    v.append("!!not base64!!");
  } else {
    // A corrupt JPEG: the first half of the bytes (a truncated scan).
    const size_t n = corrupt_jpeg ? jpeg.size() / 2 : jpeg.size();
    append_base64(v, std::span<const uint8_t>(jpeg.data(), n));
  }
  v.append(R"(","frame_width":)");
  append_int(v, width);
  v.append(R"(,"frame_height":)");
  append_int(v, height);
  v.append(R"(,"frame_channels":3,"frame_size_bytes":)");
  append_int(v, static_cast<int64_t>(jpeg.size()));
  v.append(R"(,"metadata":{)");
  if (!file.empty()) {
    v.append(R"("file":")");
    for (char c : file) {  // a file name may hold anything; keep the JSON valid
      if (c == '"' || c == '\\') v.push_back('\\');
      if (static_cast<unsigned char>(c) < 0x20) continue;
      v.push_back(c);
    }
    v.push_back('"');
  } else {
    v.append(R"("pattern":")");
    v.append(pattern);
    v.push_back('"');
    if (pattern == "uniform") {
      v.append(R"(,"level":)");
      append_int(v, level);
    }
  }
  v.append("}}");
}

void FrameGenerator::next(GeneratedRecord& out) {
  out.timestamp_ms = clock_.next(rng_);
  ++sequence_;
  out.key.assign(sources_[rng_.below(sources_.size())]);
  out.has_key = true;
  out.defect = {};
  const bool bad = rng_.chance(bad_fraction_);
  const uint64_t variant = bad ? rng_.below(3) : 0;
  const bool corrupt_jpeg = bad && variant == 1;
  const bool not_base64 = bad && variant == 2;
  if (!files_.empty()) {
    const FileFrame& f = files_[rng_.below(files_.size())];
    file_bytes_ = read_file(f.path);
    append_frame_json(out, file_bytes_, f.width, f.height, {}, 0, f.name, corrupt_jpeg,
                      not_base64);
  } else {
    const size_t resolution = rng_.below(resolutions_.size());
    const bool gradient =
        pattern_ == "gradient" || (pattern_ == "mixed" && rng_.below(2) == 1);
    const int level = gradient ? 0 : 16 * (1 + static_cast<int>(rng_.below(15)));
    const Image& image = synthetic(resolution, gradient, level);
    append_frame_json(out, image.jpeg, image.width, image.height,
                      gradient ? "gradient" : "uniform", level, {}, corrupt_jpeg, not_base64);
  }
  if (bad && variant == 0) {
    out.value.resize(1 + rng_.below(out.value.size() - 2));
    out.defect = "corrupt JSON";
  } else if (corrupt_jpeg) {
    out.defect = "truncated JPEG";
  } else if (not_base64) {
    out.defect = "frame_data is not base64";
  }
}

}  // namespace sluice::generators
