// KafkaViews: what the dashboard shows of a Kafka cluster, as JSON — topics (partitions,
// low/high offsets, configs), topic creation and deletion, consumer groups (members,
// assignment, committed offsets, lag), a page of a partition's records, the seeds' file
// uploads, and group lag as Prometheus text. Partition sizes on disk come from Kafka's
// DescribeLogDirs (kafka/client/log_dirs.h); null when a broker does not tell them. Everything goes through kafka/client
// (librdkafka), so it works against any Kafka, the embedded broker included.
//
// Failures with an HTTP meaning throw ApiError (404, 409, 400, 413); a cluster that does
// not answer throws ApiError 503 naming the servers. Thread-safe: the admin, group and
// producer clients are created on first use and used under one mutex; each message page
// reads with a consumer of its own, outside that mutex. Topics are looked up in the metadata
// of all topics: a Metadata request naming one makes a broker with auto-creation create it,
// and looking at a topic must not bring it back.
#pragma once

#include <chrono>
#include <map>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kafka/client/config.h"

namespace sluice::kafka::client {
struct ClusterMetadata;
class AdminClient;
class GroupAdmin;
class Producer;
}  // namespace sluice::kafka::client

namespace sluice::web {

using Json = nlohmann::ordered_json;

// Which records a message page holds. Without offset or timestamp: the newest `limit`
// records (from_beginning: the oldest).
struct MessageQuery {
  int32_t partition = 0;
  std::optional<int64_t> offset;        // the first offset of the page
  std::optional<int64_t> timestamp_ms;  // the first record at or after this time
  bool from_beginning = false;
  int limit = 50;                         // 1..500
  size_t max_value_bytes = 64 * 1024;     // longer keys/values are cut (and say so)
};

// One file of an upload, as the HTTP layer parsed it.
struct UploadedFile {
  std::string filename;
  std::string content_type;  // as the browser sent it; may be empty
  std::string content;
};

class KafkaViews {
 public:
  // upload_limit_bytes: the largest file accepted; the upload topics are created with a
  // max.message.bytes that fits the record of such a file.
  KafkaViews(kafka::client::ConnectionOptions connection, size_t upload_limit_bytes);
  ~KafkaViews();

  Json cluster();
  Json topics();
  Json topic(const std::string& name);
  // {"name", "partitions", "replication_factor", "configs": {"k": "v"}} -> the new topic.
  Json create_topic(const Json& request);
  void delete_topic(const std::string& name);
  Json groups();
  Json group(const std::string& id);
  Json messages(const std::string& topic, const MessageQuery& query);
  // Produces the seeds' uploaded-file record into uploaded_documents|videos|images (by
  // MIME type, then extension) and returns its description (without the content).
  Json upload(const UploadedFile& file);
  // sluice_consumer_group_lag and _committed_offset per group and partition.
  std::string lag_metrics();

  size_t upload_limit_bytes() const { return upload_limit_; }
  const std::string& bootstrap_servers() const { return connection_.bootstrap_servers; }

  // "document", "video" or "image" for an upload's MIME type and file name.
  static std::string upload_file_type(const std::string& content_type,
                                      const std::string& filename);

 private:
  kafka::client::AdminClient& admin();
  kafka::client::GroupAdmin& group_admin();
  void ensure_upload_topic(const std::string& topic);
  Json lag_of(const std::string& group, std::map<std::pair<std::string, int32_t>, int64_t>& highs);
  using PartitionSizes = std::map<std::pair<std::string, int32_t>, int64_t>;
  // Each partition's size on disk on its leader (DescribeLogDirs to every broker); a broker
  // that does not answer it leaves its partitions out, and is not asked again for a minute.
  PartitionSizes partition_sizes(const kafka::client::ClusterMetadata& md);

  kafka::client::ConnectionOptions connection_;
  size_t upload_limit_;
  std::mutex mutex_;  // guards everything below
  std::unique_ptr<kafka::client::AdminClient> admin_;
  std::unique_ptr<kafka::client::GroupAdmin> group_admin_;
  std::unique_ptr<kafka::client::Producer> producer_;
  std::set<std::string> upload_topics_ready_;
  std::map<int32_t, std::chrono::steady_clock::time_point> log_dirs_unknown_until_;  // by broker id
  uint64_t uploads_ = 0;
};

}  // namespace sluice::web
