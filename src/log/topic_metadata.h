// What the data dir records about a topic besides its partition logs: the partition count
// and the topic-level config overrides. Stored as `<data-dir>/__topics/<topic>.cfg`, a
// small text file of `key=value` lines ("partitions=3", "config.retention.ms=60000"),
// replaced atomically (write a temp file, fsync, rename, fsync the directory). A topic
// exists exactly when its file does. Functions only; the caller serialises access.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "log/parse_result.h"
#include "log/status.h"

namespace sluice::log {

using ConfigOverrides = std::map<std::string, std::string>;

struct TopicMetadata {
  int32_t partitions = 0;
  ConfigOverrides overrides;  // Kafka config names to values, as the user gave them

  bool operator==(const TopicMetadata&) const = default;
};

inline constexpr const char* kTopicsDirName = "__topics";
inline constexpr const char* kTopicFileSuffix = ".cfg";

std::string format_topic_metadata(std::string_view topic, const TopicMetadata& metadata);
/// Fails on a line without '=', an unknown key, or a missing or invalid partition count.
ParseResult<TopicMetadata> parse_topic_metadata(std::string_view text);

/// `<topics_dir>/<topic>.cfg`
std::filesystem::path topic_metadata_path(const std::filesystem::path& topics_dir,
                                          std::string_view topic);
Status write_topic_metadata(const std::filesystem::path& topics_dir, std::string_view topic,
                            const TopicMetadata& metadata);
/// Removes the file and fsyncs the directory.
Status remove_topic_metadata(const std::filesystem::path& topics_dir, std::string_view topic);

}  // namespace sluice::log
