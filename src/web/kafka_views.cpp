#include "web/kafka_views.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>

#include "common/clock.h"
#include "kafka/client/admin_client.h"
#include "kafka/client/consumer.h"
#include "kafka/client/group_admin.h"
#include "kafka/client/log_dirs.h"
#include "kafka/client/producer.h"
#include "web/api_error.h"
#include "web/encoding.h"

namespace sluice::web {

namespace client = sluice::kafka::client;
using namespace std::chrono_literals;

namespace {

// Room for the JSON around an uploaded file's base64 content.
constexpr size_t kUploadRecordOverhead = 64 * 1024;

size_t upload_record_bytes(size_t file_bytes) {
  return (file_bytes + 2) / 3 * 4 + kUploadRecordOverhead;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string extension_of(const std::string& filename) {
  auto dot = filename.rfind('.');
  return dot == std::string::npos ? "" : lower(filename.substr(dot + 1));
}

std::string iso8601_utc(int64_t ms) {
  std::time_t seconds = std::time_t(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
  return buf;
}

std::string prom_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// A key or value for the browser: text when it is UTF-8, else base64; cut at `max` bytes.
void put_bytes(Json& out, const char* field, std::optional<std::string_view> bytes, size_t max) {
  if (!bytes) {
    out[field] = nullptr;
    return;
  }
  std::string_view shown = *bytes;
  const bool cut = shown.size() > max;
  if (cut) {
    shown = shown.substr(0, max);
    // Do not split a UTF-8 sequence: back up to a character boundary.
    size_t back = 0;
    while (back < 4 && !shown.empty() && (uint8_t(shown.back()) & 0xc0) == 0x80) {
      shown.remove_suffix(1);
      ++back;
    }
    if (!shown.empty() && uint8_t(shown.back()) >= 0xc0) shown.remove_suffix(1);
  }
  const bool text = is_valid_utf8(shown);
  out[field] = text ? std::string(shown) : base64_encode(shown);
  out[std::string(field) + "_encoding"] = text ? "utf8" : "base64";
  out[std::string(field) + "_size"] = bytes->size();
  if (cut) out[std::string(field) + "_truncated"] = true;
}

void check_topic_name(const std::string& name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..")
    throw ApiError(400, "invalid topic name '" + name + "': 1 to 249 characters of [a-zA-Z0-9._-]");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      throw ApiError(400, "invalid topic name '" + name + "': only [a-zA-Z0-9._-] are allowed");
}

}  // namespace

KafkaViews::KafkaViews(client::ConnectionOptions connection, size_t upload_limit_bytes)
    : connection_(std::move(connection)), upload_limit_(upload_limit_bytes) {}

KafkaViews::~KafkaViews() {
  std::lock_guard lock(mutex_);
  if (producer_) producer_->flush(5s);
}

client::AdminClient& KafkaViews::admin() {
  if (!admin_)
    admin_ = std::make_unique<client::AdminClient>(connection_.make_config(),
                                                   connection_.timeout());
  return *admin_;
}

client::GroupAdmin& KafkaViews::group_admin() {
  if (!group_admin_)
    group_admin_ = std::make_unique<client::GroupAdmin>(connection_.make_config(),
                                                        connection_.timeout());
  return *group_admin_;
}

Json KafkaViews::cluster() {
  std::lock_guard lock(mutex_);
  auto md = admin().handle().metadata("", connection_.timeout());
  Json brokers = Json::array();
  for (const auto& b : md.brokers)
    brokers.push_back({{"id", b.id}, {"host", b.host}, {"port", b.port}});
  return {{"bootstrap_servers", connection_.bootstrap_servers},
          {"brokers", brokers},
          {"controller_id", md.controller_id},
          {"topics", md.topics.size()}};
}

Json KafkaViews::topics() {
  std::lock_guard lock(mutex_);
  auto& handle = admin().handle();
  auto md = handle.metadata("", connection_.timeout());
  const auto sizes = partition_sizes(md);
  Json out = Json::array();
  for (const auto& t : md.topics) {
    Json partitions = Json::array();
    int64_t records = 0;
    std::optional<int64_t> size = 0;
    for (const auto& p : t.partitions) {
      Json part = {{"id", p.id}, {"leader", p.leader}};
      auto found = sizes.find({t.name, p.id});
      if (found != sizes.end()) {
        part["size_bytes"] = found->second;
        if (size) *size += found->second;
      } else {
        part["size_bytes"] = nullptr;
        size.reset();
      }
      try {
        auto w = handle.watermarks(t.name, p.id, connection_.timeout());
        part["low"] = w.low;
        part["high"] = w.high;
        records += w.high - w.low;
      } catch (const client::ClientError& e) {
        part["low"] = nullptr;
        part["high"] = nullptr;
        part["error"] = e.what();
      }
      if (p.error) part["error"] = p.error.describe();
      partitions.push_back(std::move(part));
    }
    Json topic = {{"name", t.name},
                  {"internal", t.name.starts_with("__")},
                  {"partition_count", t.partitions.size()},
                  {"records", records},
                  {"size_bytes", size && !t.partitions.empty() ? Json(*size) : Json(nullptr)},
                  {"partitions", std::move(partitions)}};
    if (t.error) topic["error"] = t.error.describe();
    out.push_back(std::move(topic));
  }
  return {{"topics", std::move(out)}};
}

KafkaViews::PartitionSizes KafkaViews::partition_sizes(const client::ClusterMetadata& md) {
  std::map<int32_t, client::LogDirSizes> by_broker;
  const auto now = std::chrono::steady_clock::now();
  const auto timeout = std::min<std::chrono::milliseconds>(connection_.timeout(), 3s);
  for (const auto& b : md.brokers) {
    auto unknown = log_dirs_unknown_until_.find(b.id);
    if (unknown != log_dirs_unknown_until_.end() && now < unknown->second) continue;
    try {
      by_broker[b.id] = client::describe_log_dirs(b.host, uint16_t(b.port), timeout);
      log_dirs_unknown_until_.erase(b.id);
    } catch (const std::runtime_error& e) {
      spdlog::info("dashboard: no partition sizes from broker {} ({}:{}): {}; asking again in a minute",
                   b.id, b.host, b.port, e.what());
      log_dirs_unknown_until_[b.id] = now + 60s;
    }
  }
  PartitionSizes sizes;
  for (const auto& t : md.topics)
    for (const auto& p : t.partitions) {
      auto broker = by_broker.find(p.leader);
      if (broker == by_broker.end()) continue;
      auto found = broker->second.partitions.find({t.name, p.id});
      if (found != broker->second.partitions.end()) sizes[{t.name, p.id}] = found->second;
    }
  return sizes;
}

Json KafkaViews::topic(const std::string& name) {
  check_topic_name(name);
  std::lock_guard lock(mutex_);
  auto& handle = admin().handle();
  auto md = handle.metadata("", connection_.timeout());
  const auto* t = md.find(name);
  if (!t || t->error.code == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || t->partitions.empty())
    throw ApiError(404, "no topic '" + name + "'");
  const auto sizes = partition_sizes(md);
  Json partitions = Json::array();
  std::optional<int64_t> size = 0;
  for (const auto& p : t->partitions) {
    auto w = handle.watermarks(name, p.id, connection_.timeout());
    auto found = sizes.find({name, p.id});
    if (found == sizes.end()) size.reset();
    else if (size) *size += found->second;
    partitions.push_back({{"id", p.id},
                          {"leader", p.leader},
                          {"replicas", p.replicas},
                          {"isr", p.isrs},
                          {"low", w.low},
                          {"high", w.high},
                          {"size_bytes", found == sizes.end() ? Json(nullptr) : Json(found->second)}});
  }
  Json configs = Json::array();
  auto described = admin().describe_topic_configs(name);
  for (const auto& e : described.entries)
    configs.push_back({{"name", e.name},
                       {"value", e.is_null || e.is_sensitive ? Json(nullptr) : Json(e.value)},
                       {"default", e.is_default},
                       {"read_only", e.is_read_only},
                       {"sensitive", e.is_sensitive}});
  Json out = {{"name", name},
              {"internal", name.starts_with("__")},
              {"size_bytes", size ? Json(*size) : Json(nullptr)},
              {"partitions", std::move(partitions)},
              {"configs", std::move(configs)}};
  if (described.error) out["configs_error"] = described.error.describe();
  return out;
}

Json KafkaViews::create_topic(const Json& request) {
  if (!request.is_object() || !request.contains("name") || !request["name"].is_string())
    throw ApiError(400, "expected {\"name\": \"...\", \"partitions\": N, \"configs\": {...}}");
  client::NewTopic t;
  t.name = request["name"].get<std::string>();
  check_topic_name(t.name);
  try {
    t.partitions = request.value("partitions", 1);
    t.replication_factor = request.value("replication_factor", 1);
    if (request.contains("configs")) {
      for (const auto& [k, v] : request["configs"].items())
        t.configs.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
    }
  } catch (const nlohmann::json::exception& e) {
    throw ApiError(400, std::string("bad topic request: ") + e.what());
  }
  if (t.partitions < 1 || t.partitions > 10000)
    throw ApiError(400, "partitions must be between 1 and 10000");
  {
    std::lock_guard lock(mutex_);
    auto outcome = admin().create_topics({t});
    if (!outcome.empty() && outcome[0].error) {
      const auto& e = outcome[0].error;
      int status = e.code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS ? 409 : 400;
      throw ApiError(status, "cannot create topic '" + t.name + "': " + e.describe());
    }
  }
  return {{"name", t.name}, {"partitions", t.partitions}, {"created", true}};
}

void KafkaViews::delete_topic(const std::string& name) {
  check_topic_name(name);
  std::lock_guard lock(mutex_);
  auto outcome = admin().delete_topics({name});
  if (!outcome.empty() && outcome[0].error) {
    const auto& e = outcome[0].error;
    int status = e.code == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? 404 : 400;
    throw ApiError(status, "cannot delete topic '" + name + "': " + e.describe());
  }
  upload_topics_ready_.erase(name);
}

// Per partition with a committed offset: committed, high, lag. `highs` caches the
// partitions' high watermarks across groups of one request.
Json KafkaViews::lag_of(const std::string& group,
                        std::map<std::pair<std::string, int32_t>, int64_t>& highs) {
  auto offsets = group_admin().committed_offsets(group);
  Json out = Json::array();
  if (offsets.error) return out;
  for (const auto& o : offsets.offsets) {
    if (o.offset < 0) continue;
    auto key = std::make_pair(o.tp.topic, o.tp.partition);
    auto it = highs.find(key);
    if (it == highs.end()) {
      int64_t high = -1;
      try {
        high = group_admin().handle().watermarks(o.tp.topic, o.tp.partition,
                                                 connection_.timeout()).high;
      } catch (const client::ClientError&) {
        // A deleted topic's offsets stay until the group expires: no lag to show.
      }
      it = highs.emplace(key, high).first;
    }
    Json p = {{"topic", o.tp.topic},
              {"partition", o.tp.partition},
              {"committed", o.offset},
              {"high", it->second >= 0 ? Json(it->second) : Json(nullptr)},
              {"lag", it->second >= 0 ? Json(std::max<int64_t>(0, it->second - o.offset))
                                      : Json(nullptr)}};
    if (o.error) p["error"] = o.error.describe();
    out.push_back(std::move(p));
  }
  return out;
}

Json KafkaViews::groups() {
  std::lock_guard lock(mutex_);
  auto listing = group_admin().list_groups();
  std::vector<std::string> ids;
  for (const auto& g : listing.groups) ids.push_back(g.group_id);
  auto descriptions = ids.empty() ? std::vector<client::GroupDescription>{}
                                  : group_admin().describe_groups(ids);
  std::map<std::pair<std::string, int32_t>, int64_t> highs;
  Json out = Json::array();
  for (size_t i = 0; i < listing.groups.size(); ++i) {
    const auto& g = listing.groups[i];
    Json lag = lag_of(g.group_id, highs);
    int64_t total = 0;
    for (const auto& p : lag)
      if (p["lag"].is_number()) total += p["lag"].get<int64_t>();
    Json row = {{"group_id", g.group_id},
                {"state", g.state},
                {"protocol_type", g.protocol_type()},
                {"members", i < descriptions.size() ? descriptions[i].members.size() : 0},
                {"partitions", lag.size()},
                {"lag", total}};
    out.push_back(std::move(row));
  }
  Json errors = Json::array();
  for (const auto& e : listing.errors) errors.push_back(e.describe());
  return {{"groups", std::move(out)}, {"errors", std::move(errors)}};
}

Json KafkaViews::group(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto d = group_admin().describe_group(id);
  if (d.error && d.error.code != RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND)
    throw ApiError(503, "cannot describe group '" + id + "': " + d.error.describe());
  std::map<std::pair<std::string, int32_t>, int64_t> highs;
  Json offsets = lag_of(id, highs);
  if ((d.error || d.state == "Dead") && offsets.empty())
    throw ApiError(404, "no consumer group '" + id + "'");
  // Who owns each partition.
  std::map<std::pair<std::string, int32_t>, const client::GroupMember*> owner;
  Json members = Json::array();
  for (const auto& m : d.members) {
    Json assignment = Json::array();
    for (const auto& tp : m.assignment) {
      assignment.push_back({{"topic", tp.topic}, {"partition", tp.partition}});
      owner[{tp.topic, tp.partition}] = &m;
    }
    members.push_back({{"member_id", m.member_id},
                       {"group_instance_id", m.group_instance_id},
                       {"client_id", m.client_id},
                       {"host", m.host},
                       {"assignment", std::move(assignment)}});
  }
  int64_t total = 0;
  for (auto& p : offsets) {
    auto it = owner.find({p["topic"].get<std::string>(), p["partition"].get<int32_t>()});
    p["member_id"] = it == owner.end() ? Json(nullptr) : Json(it->second->member_id);
    if (p["lag"].is_number()) total += p["lag"].get<int64_t>();
  }
  return {{"group_id", id},
          {"state", d.state},
          {"protocol_type", d.is_simple ? "" : "consumer"},
          {"partition_assignor", d.partition_assignor},
          {"coordinator", {{"id", d.coordinator.id},
                           {"host", d.coordinator.host},
                           {"port", d.coordinator.port}}},
          {"members", std::move(members)},
          {"offsets", std::move(offsets)},
          {"lag", total}};
}

Json KafkaViews::messages(const std::string& topic, const MessageQuery& q) {
  check_topic_name(topic);
  if (q.limit < 1 || q.limit > 500) throw ApiError(400, "limit must be between 1 and 500");
  auto config = connection_.make_config();
  config.set_default("group.id", "sluice-dashboard-browser");
  client::Consumer consumer(std::move(config));
  auto md = consumer.handle().metadata("", connection_.timeout());
  const auto* t = md.find(topic);
  if (!t || t->partitions.empty() || t->error.code == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
    throw ApiError(404, "no topic '" + topic + "'");
  if (q.partition < 0 || q.partition >= int32_t(t->partitions.size()))
    throw ApiError(400, "topic '" + topic + "' has partitions 0.." +
                            std::to_string(t->partitions.size() - 1));
  auto w = consumer.handle().watermarks(topic, q.partition, connection_.timeout());
  int64_t start;
  if (q.timestamp_ms) {
    auto found = consumer.offsets_for_times(topic, {q.partition}, *q.timestamp_ms,
                                            connection_.timeout());
    start = found.empty() || found[0] < 0 ? w.high : found[0];
  } else if (q.offset) {
    start = *q.offset;
  } else if (q.from_beginning) {
    start = w.low;
  } else {
    start = std::max(w.low, w.high - q.limit);
  }
  start = std::clamp(start, w.low, w.high);
  Json records = Json::array();
  int64_t next = start;
  if (start < w.high) {
    consumer.assign({{topic, q.partition, start}});
    const auto deadline = std::chrono::steady_clock::now() + connection_.timeout();
    while (int(records.size()) < q.limit && next < w.high &&
           std::chrono::steady_clock::now() < deadline) {
      auto m = consumer.poll(100ms);
      if (!m) continue;
      if (m.is_partition_eof()) break;
      if (auto e = m.error()) throw ApiError(503, "reading " + topic + ": " + e.describe());
      Json r = {{"partition", m.partition()},
                {"offset", m.offset()},
                {"timestamp_ms", m.timestamp()},
                {"timestamp_type", std::string(m.timestamp_type())}};
      put_bytes(r, "key", m.key(), q.max_value_bytes);
      put_bytes(r, "value", m.value(), q.max_value_bytes);
      Json headers = Json::array();
      for (const auto& h : m.headers()) {
        Json hj = {{"key", std::string(h.key)}};
        put_bytes(hj, "value", h.value, q.max_value_bytes);
        headers.push_back(std::move(hj));
      }
      r["headers"] = std::move(headers);
      next = m.offset() + 1;
      records.push_back(std::move(r));
    }
  }
  consumer.close();
  return {{"topic", topic},
          {"partition", q.partition},
          {"partitions", t->partitions.size()},
          {"low", w.low},
          {"high", w.high},
          {"start", start},
          {"next_offset", next},
          {"prev_offset", std::max(w.low, start - q.limit)},
          {"messages", std::move(records)}};
}

std::string KafkaViews::upload_file_type(const std::string& content_type,
                                         const std::string& filename) {
  const std::string mime = lower(content_type);
  if (mime.starts_with("image/")) return "image";
  if (mime.starts_with("video/")) return "video";
  static const std::set<std::string> kImages = {"png", "jpg", "jpeg", "gif", "bmp",
                                                "webp", "svg", "tif", "tiff", "ico"};
  static const std::set<std::string> kVideos = {"mp4", "mov", "avi", "mkv", "webm",
                                                "m4v", "mpg", "mpeg", "wmv", "flv"};
  const std::string ext = extension_of(filename);
  if (mime.empty() || mime == "application/octet-stream") {
    if (kImages.contains(ext)) return "image";
    if (kVideos.contains(ext)) return "video";
  }
  return "document";
}

void KafkaViews::ensure_upload_topic(const std::string& topic) {
  if (upload_topics_ready_.contains(topic)) return;
  const std::string needed = std::to_string(upload_record_bytes(upload_limit_));
  auto& a = admin();
  auto md = a.handle().metadata("", connection_.timeout());
  const auto* t = md.find(topic);
  const bool exists = t && !t->partitions.empty() && !t->error;
  if (!exists) {
    auto outcome = a.create_topics({{topic, 1, 1, {{"max.message.bytes", needed}}}});
    if (!outcome.empty() && outcome[0].error &&
        outcome[0].error.code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
      throw ApiError(503, "cannot create upload topic '" + topic + "': " +
                              outcome[0].error.describe());
  } else {
    auto configs = a.describe_topic_configs(topic);
    for (const auto& e : configs.entries) {
      if (e.name != "max.message.bytes") continue;
      int64_t current = 0;
      try {
        current = std::stoll(e.value);
      } catch (const std::exception&) {
        current = 0;
      }
      if (current < int64_t(upload_record_bytes(upload_limit_))) {
        if (auto err = a.alter_topic_configs(topic, {{"max.message.bytes", needed}}, {}))
          throw ApiError(503, "topic '" + topic + "' takes records of at most " + e.value +
                                  " bytes and raising max.message.bytes failed: " +
                                  err.describe());
      }
    }
  }
  upload_topics_ready_.insert(topic);
}

Json KafkaViews::upload(const UploadedFile& file) {
  if (file.content.size() > upload_limit_)
    throw ApiError(413, "file '" + file.filename + "' is " + std::to_string(file.content.size()) +
                            " bytes; the upload limit is " + std::to_string(upload_limit_) +
                            " bytes (--ui-upload-limit)");
  const std::string type = upload_file_type(file.content_type, file.filename);
  const std::string topic = "uploaded_" + type + "s";
  const std::string mime = file.content_type.empty() ? "application/octet-stream"
                                                      : file.content_type;
  const int64_t now = wall_clock_ms();
  std::lock_guard lock(mutex_);
  ensure_upload_topic(topic);
  if (!producer_) {
    auto config = connection_.make_config();
    config.set_default("message.max.bytes", std::to_string(upload_record_bytes(upload_limit_) + 4096));
    config.set_default("acks", "all");
    config.set_default("linger.ms", "0");
    producer_ = std::make_unique<client::Producer>(std::move(config));
  }
  const std::string file_id = type + "_" + std::to_string(now) + "_" + std::to_string(++uploads_);
  Json metadata = {{"mime_type", mime}};
  if (mime.starts_with("text/") && is_valid_utf8(file.content))
    metadata["text_content"] = file.content.substr(0, std::min<size_t>(file.content.size(), 1000));
  Json record = {{"file_id", file_id},
                 {"filename", file.filename},
                 {"file_type", type},
                 {"file_size", file.content.size()},
                 {"file_hash", md5_hex(file.content)},
                 {"upload_timestamp", iso8601_utc(now)},
                 {"metadata", std::move(metadata)},
                 {"file_content", base64_encode(file.content)}};
  const std::string value = record.dump();
  const uint64_t failed_before = producer_->counts().failed;
  client::OutgoingRecord out;
  out.topic = topic;
  out.key = file_id;
  out.value = value;
  if (auto e = producer_->produce(out))
    throw ApiError(e.code == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ? 413 : 503,
                   "cannot write '" + file.filename + "' to " + topic + ": " + e.describe());
  if (!producer_->flush(connection_.timeout()))
    throw ApiError(503, "the cluster did not acknowledge '" + file.filename + "' within the timeout");
  if (producer_->counts().failed != failed_before) {
    std::string why = producer_->counts().failures.empty()
                          ? "delivery failed"
                          : producer_->counts().failures.rbegin()->first;
    throw ApiError(503, "cannot write '" + file.filename + "' to " + topic + ": " + why);
  }
  record.erase("file_content");
  record["topic"] = topic;
  record["record_bytes"] = value.size();
  return record;
}

std::string KafkaViews::lag_metrics() {
  Json groups_json = groups();
  std::string out;
  out += "# HELP sluice_consumer_group_lag Records between a group's committed offset and the "
         "partition's end.\n# TYPE sluice_consumer_group_lag gauge\n";
  std::string committed =
      "# HELP sluice_consumer_group_committed_offset A group's committed offset.\n"
      "# TYPE sluice_consumer_group_committed_offset gauge\n";
  std::lock_guard lock(mutex_);
  std::map<std::pair<std::string, int32_t>, int64_t> highs;
  for (const auto& g : groups_json["groups"]) {
    const std::string id = g["group_id"].get<std::string>();
    for (const auto& p : lag_of(id, highs)) {
      const std::string labels = "{group=\"" + prom_label(id) + "\",topic=\"" +
                                 prom_label(p["topic"].get<std::string>()) + "\",partition=\"" +
                                 std::to_string(p["partition"].get<int32_t>()) + "\"}";
      if (p["lag"].is_number())
        out += "sluice_consumer_group_lag" + labels + " " + std::to_string(p["lag"].get<int64_t>()) + "\n";
      committed += "sluice_consumer_group_committed_offset" + labels + " " +
                   std::to_string(p["committed"].get<int64_t>()) + "\n";
    }
  }
  return out + committed;
}

}  // namespace sluice::web
