#include "log/topic_metadata.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "log/file_io.h"

namespace sluice::log {
namespace {
constexpr std::string_view kConfigPrefix = "config.";
}

std::string format_topic_metadata(std::string_view topic, const TopicMetadata& metadata) {
  std::string out =
      "# sluice topic '" + std::string(topic) + "': partition count and config overrides\n";
  out += "partitions=" + std::to_string(metadata.partitions) + "\n";
  for (const auto& [key, value] : metadata.overrides)
    out += std::string(kConfigPrefix) + key + "=" + value + "\n";
  return out;
}

ParseResult<TopicMetadata> parse_topic_metadata(std::string_view text) {
  using Result = ParseResult<TopicMetadata>;
  TopicMetadata metadata;
  bool have_partitions = false;
  int line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      return Result::failure("line " + std::to_string(line_no) + " has no '='");
    std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "partitions") {
      int32_t n = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || ptr != value.data() + value.size() || n < 1)
        return Result::failure("invalid partition count '" + std::string(value) + "'");
      metadata.partitions = n;
      have_partitions = true;
    } else if (key.substr(0, kConfigPrefix.size()) == kConfigPrefix &&
               key.size() > kConfigPrefix.size()) {
      metadata.overrides[std::string(key.substr(kConfigPrefix.size()))] = std::string(value);
    } else {
      return Result::failure("unknown key '" + std::string(key) + "' on line " +
                             std::to_string(line_no));
    }
  }
  if (!have_partitions) return Result::failure("no 'partitions=' line");
  return Result::value(std::move(metadata));
}

std::filesystem::path topic_metadata_path(const std::filesystem::path& topics_dir,
                                          std::string_view topic) {
  return topics_dir / (std::string(topic) + kTopicFileSuffix);
}

Status write_topic_metadata(const std::filesystem::path& topics_dir, std::string_view topic,
                            const TopicMetadata& metadata) {
  // A fixed temp name: topic names of 249 characters leave no room for a longer suffix.
  return write_file_atomically(topic_metadata_path(topics_dir, topic), topics_dir / ".writing",
                               format_topic_metadata(topic, metadata));
}

Status remove_topic_metadata(const std::filesystem::path& topics_dir, std::string_view topic) {
  auto path = topic_metadata_path(topics_dir, topic);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return io_error("cannot delete", path, errno);
  return sync_dir(topics_dir);
}

}  // namespace sluice::log
