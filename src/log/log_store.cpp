#include "log/log_store.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

#include "log/file_io.h"
#include "log/topic_name.h"

namespace sluice::log {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Splits "<topic>-<partition>" at the last '-'.
std::optional<std::pair<std::string, int32_t>> parse_partition_dir(const std::string& name) {
  size_t dash = name.rfind('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == name.size()) return std::nullopt;
  int32_t p = 0;
  const char* first = name.data() + dash + 1;
  const char* last = name.data() + name.size();
  auto [ptr, ec] = std::from_chars(first, last, p);
  if (ec != std::errc() || ptr != last || p < 0) return std::nullopt;
  std::string topic = name.substr(0, dash);
  if (!validate_topic_name(topic).ok()) return std::nullopt;
  return std::make_pair(std::move(topic), p);
}

Status invalid_partitions(std::string message) {
  return Status::error(Errc::kInvalidPartitions, std::move(message));
}

Status unknown_topic(std::string_view name) {
  return Status::error(Errc::kUnknownTopicOrPartition,
                       "topic '" + std::string(name) + "' does not exist");
}

}  // namespace

LogStore::LogStore(std::filesystem::path data_dir, LogConfig defaults)
    : data_dir_(std::move(data_dir)), defaults_(std::move(defaults)) {}

LogStore::~LogStore() = default;

LogStore::OpenResult LogStore::open(const std::filesystem::path& data_dir, LogConfig defaults) {
  std::unique_ptr<LogStore> store(new LogStore(data_dir, std::move(defaults)));
  Status status = store->load();
  if (!status.ok()) return {std::move(status), nullptr};
  return {Status::success(), std::move(store)};
}

std::filesystem::path LogStore::partition_dir(std::string_view topic, int32_t partition) const {
  return data_dir_ / (std::string(topic) + "-" + std::to_string(partition));
}

LogStore::Topic* LogStore::find(std::string_view name) {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : &it->second;
}

const LogStore::Topic* LogStore::find(std::string_view name) const {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : &it->second;
}

Status LogStore::load() {
  std::error_code ec;
  std::filesystem::create_directories(topics_dir(), ec);
  if (ec) return io_error("cannot create", topics_dir(), ec.value());
  std::filesystem::remove(topics_dir() / ".writing", ec);

  for (const auto& entry : std::filesystem::directory_iterator(topics_dir(), ec)) {
    const std::string file = entry.path().filename().string();
    std::error_code type_ec;
    if (!entry.is_regular_file(type_ec) || !ends_with(file, kTopicFileSuffix)) continue;
    const std::string name =
        file.substr(0, file.size() - std::string_view(kTopicFileSuffix).size());
    if (Status s = validate_topic_name(name); !s.ok()) {
      spdlog::warn("ignoring {}: {}", entry.path().string(), s.message);
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) return Status::error(Errc::kStorageError, "cannot read " + entry.path().string());
    auto parsed = parse_topic_metadata(text.str());
    if (!parsed)
      return Status::error(Errc::kStorageError, "cannot load topic '" + name + "' from " +
                                                    entry.path().string() + ": " + parsed.error() +
                                                    "; repair or remove the file");
    Topic topic;
    topic.metadata = *parsed;
    topic.config = defaults_;
    for (auto it = topic.metadata.overrides.begin(); it != topic.metadata.overrides.end();) {
      if (Status s = apply_topic_config(topic.config, it->first, it->second); !s.ok()) {
        spdlog::warn("topic '{}': ignoring stored override: {}", name, s.message);
        it = topic.metadata.overrides.erase(it);
      } else {
        ++it;
      }
    }
    if (Status s = open_partitions(name, topic, 0, topic.metadata.partitions, false); !s.ok())
      return s;
    topics_.emplace(name, std::move(topic));
  }
  if (ec) return io_error("cannot list", topics_dir(), ec.value());
  remove_orphan_partition_dirs();
  spdlog::info("log store {}: {} topic(s) loaded", data_dir_.string(), topics_.size());
  return Status::success();
}

void LogStore::remove_orphan_partition_dirs() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir_, ec)) {
    std::error_code type_ec;
    if (!entry.is_directory(type_ec)) continue;
    auto parsed = parse_partition_dir(entry.path().filename().string());
    if (!parsed) continue;
    const Topic* topic = find(parsed->first);
    if (topic && parsed->second < topic->metadata.partitions) continue;
    spdlog::warn("removing {}: it belongs to no topic (left by an interrupted delete)",
                 entry.path().string());
    std::error_code rm;
    std::filesystem::remove_all(entry.path(), rm);
    if (rm) spdlog::warn("cannot remove {}: {}", entry.path().string(), rm.message());
  }
}

Status LogStore::open_partitions(std::string_view name, Topic& topic, int32_t from, int32_t to,
                                 bool fresh) {
  for (int32_t p = from; p < to; ++p) {
    auto dir = partition_dir(name, p);
    if (fresh) {  // a leftover of an earlier topic of that name must not reappear
      std::error_code ec;
      if (std::filesystem::exists(dir, ec)) {
        spdlog::warn("removing leftover directory {} before creating it afresh", dir.string());
        std::filesystem::remove_all(dir, ec);
        if (ec) return io_error("cannot remove", dir, ec.value());
      }
    }
    auto opened = PartitionLog::open(dir, topic.config);
    if (!opened.ok())
      return Status::error(opened.status.code, "partition " + std::string(name) + "-" +
                                                   std::to_string(p) + ": " + opened.message());
    topic.partitions.push_back(std::move(opened.log));
  }
  return Status::success();
}

Status LogStore::validate_overrides(const ConfigOverrides& overrides) const {
  LogConfig config = defaults_;
  return apply_topic_configs(config, overrides);
}

Status LogStore::validate_new_topic(std::string_view name, int32_t partitions,
                                    const ConfigOverrides& overrides) const {
  if (Status s = validate_topic_name(name); !s.ok()) return s;
  if (find(name))
    return Status::error(Errc::kTopicAlreadyExists,
                         "topic '" + std::string(name) + "' already exists");
  for (const auto& [existing, topic] : topics_)
    if (topic_names_collide(existing, name))
      return Status::error(Errc::kInvalidTopic, "topic '" + std::string(name) +
                                                    "' collides with existing topic '" + existing +
                                                    "' ('.' and '_' are alike)");
  if (partitions < 1 || partitions > kMaxPartitions)
    return invalid_partitions("the number of partitions must be in [1, " +
                              std::to_string(kMaxPartitions) + "], not " +
                              std::to_string(partitions));
  return validate_overrides(overrides);
}

Status LogStore::create_topic(std::string_view name, int32_t partitions,
                              const ConfigOverrides& overrides) {
  if (Status s = validate_new_topic(name, partitions, overrides); !s.ok()) return s;
  Topic topic;
  topic.metadata = {partitions, overrides};
  topic.config = defaults_;
  (void)apply_topic_configs(topic.config, overrides);  // validated above
  auto undo = [&] {
    for (auto& log : topic.partitions) (void)log->delete_log();
  };
  // Logs first, then the metadata file that makes the topic exist.
  if (Status s = open_partitions(name, topic, 0, partitions, true); !s.ok()) {
    undo();
    return s;
  }
  if (Status s = write_topic_metadata(topics_dir(), name, topic.metadata); !s.ok()) {
    undo();
    return s;
  }
  topics_.emplace(std::string(name), std::move(topic));
  return Status::success();
}

Status LogStore::delete_topic(std::string_view name) {
  auto it = topics_.find(name);
  if (it == topics_.end()) return unknown_topic(name);
  // The metadata file first: once it is gone the topic is gone, even if a crash leaves
  // some partition directories behind (open() removes those).
  if (Status s = remove_topic_metadata(topics_dir(), name); !s.ok()) return s;
  for (auto& log : it->second.partitions) {
    Status s = log->delete_log();
    if (!s.ok()) spdlog::warn("topic '{}' deleted, but: {}", std::string(name), s.message);
  }
  topics_.erase(it);
  return Status::success();
}

Status LogStore::add_partitions(std::string_view name, int32_t new_total) {
  Topic* topic = find(name);
  if (!topic) return unknown_topic(name);
  const int32_t current = topic->metadata.partitions;
  if (new_total <= current)
    return invalid_partitions("topic '" + std::string(name) + "' has " + std::to_string(current) +
                              " partitions; the new count must be larger");
  if (new_total > kMaxPartitions)
    return invalid_partitions("at most " + std::to_string(kMaxPartitions) +
                              " partitions per topic");
  auto undo = [&] {
    while (int32_t(topic->partitions.size()) > current) {
      (void)topic->partitions.back()->delete_log();
      topic->partitions.pop_back();
    }
  };
  if (Status s = open_partitions(name, *topic, current, new_total, true); !s.ok()) {
    undo();
    return s;
  }
  TopicMetadata metadata = topic->metadata;
  metadata.partitions = new_total;
  if (Status s = write_topic_metadata(topics_dir(), name, metadata); !s.ok()) {
    undo();
    return s;
  }
  topic->metadata = std::move(metadata);
  return Status::success();
}

TopicInfo LogStore::info(const std::string& name, const Topic& topic) const {
  return {name, topic.metadata.partitions, topic.config, topic.metadata.overrides};
}

std::vector<TopicInfo> LogStore::topics() const {
  std::vector<TopicInfo> out;
  out.reserve(topics_.size());
  for (const auto& [name, topic] : topics_) out.push_back(info(name, topic));
  return out;
}

std::optional<TopicInfo> LogStore::topic(std::string_view name) const {
  auto it = topics_.find(name);
  if (it == topics_.end()) return std::nullopt;
  return info(it->first, it->second);
}

int32_t LogStore::partition_count(std::string_view name) const {
  const Topic* topic = find(name);
  return topic ? topic->metadata.partitions : 0;
}

PartitionLog* LogStore::partition(std::string_view name, int32_t partition) {
  Topic* topic = find(name);
  if (!topic || partition < 0 || partition >= int32_t(topic->partitions.size())) return nullptr;
  return topic->partitions[size_t(partition)].get();
}

std::optional<ConfigOverrides> LogStore::topic_overrides(std::string_view name) const {
  const Topic* topic = find(name);
  if (!topic) return std::nullopt;
  return topic->metadata.overrides;
}

Status LogStore::set_topic_overrides(std::string_view name, const ConfigOverrides& overrides) {
  Topic* topic = find(name);
  if (!topic) return unknown_topic(name);
  LogConfig config = defaults_;
  if (Status s = apply_topic_configs(config, overrides); !s.ok()) return s;
  TopicMetadata metadata = topic->metadata;
  metadata.overrides = overrides;
  if (Status s = write_topic_metadata(topics_dir(), name, metadata); !s.ok()) return s;
  topic->metadata = std::move(metadata);
  topic->config = config;
  Status first_error;
  for (auto& log : topic->partitions) {
    Status s = log->set_config(config);
    if (!s.ok() && first_error.ok()) first_error = std::move(s);
  }
  return first_error;
}

Status LogStore::alter_config(std::string_view name, const ConfigOverrides& set,
                              const std::vector<std::string>& removed) {
  const Topic* topic = find(name);
  if (!topic) return unknown_topic(name);
  ConfigOverrides merged = topic->metadata.overrides;
  for (const auto& key : removed) merged.erase(key);
  for (const auto& [key, value] : set) merged[key] = value;
  return set_topic_overrides(name, merged);
}

std::optional<std::vector<ConfigEntry>> LogStore::describe_config(std::string_view name) const {
  const Topic* topic = find(name);
  if (!topic) return std::nullopt;
  std::vector<ConfigEntry> out;
  for (auto& [key, value] : topic_config_entries(topic->config))
    out.push_back({key, value, topic->metadata.overrides.count(key) > 0});
  return out;
}

void LogStore::flush_if_due(int64_t now_ms) {
  for (auto& [name, topic] : topics_)
    for (auto& log : topic.partitions) (void)log->flush_if_due(now_ms);  // failures logged
}

void LogStore::flush_if_due(int64_t now_ms, LogFlusher& flusher) {
  for (auto& [name, topic] : topics_)
    for (auto& log : topic.partitions) flusher.sync(log->take_due_flush(now_ms));
}

Status LogStore::flush_all() {
  Status first_error;
  for (auto& [name, topic] : topics_)
    for (auto& log : topic.partitions) {
      Status s = log->flush();
      if (!s.ok() && first_error.ok()) first_error = std::move(s);
    }
  return first_error;
}

int LogStore::apply_retention(int64_t now_ms) {
  int deleted = 0;
  for (auto& [name, topic] : topics_)
    for (auto& log : topic.partitions) deleted += log->apply_retention(now_ms).segments_deleted;
  return deleted;
}

}  // namespace sluice::log
