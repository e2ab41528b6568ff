#include "kafka/client/handle.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "kafka/client/error.h"
#include "kafka/client/topic_partition_list.h"

namespace sluice::kafka::client {

struct Handle::State {
  DeliveryCallback on_delivery;
  mutable std::mutex mutex;
  std::string last_error;

  void remember(std::string text) {
    std::lock_guard lock(mutex);
    last_error = std::move(text);
  }
};

namespace {

void on_error(rd_kafka_t*, int err, const char* reason, void* opaque) {
  auto* state = static_cast<Handle::State*>(opaque);
  spdlog::debug("librdkafka error {}: {}", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)),
                reason);
  state->remember(reason);
}

// Runs on librdkafka's threads. Errors and warnings (level <= 4, e.g. "Connect to ... failed:
// Connection refused") are remembered: error_cb would only report them from rd_kafka_poll.
void on_log(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  spdlog::debug("librdkafka {} {}: {}", level, fac, buf);
  if (level <= 4 && rk != nullptr) {
    std::string_view text = buf;
    if (text.starts_with("[thrd:")) {  // drop librdkafka's thread tag
      if (const auto end = text.find("]: "); end != std::string_view::npos) text.remove_prefix(end + 3);
    }
    if (auto* state = static_cast<Handle::State*>(rd_kafka_opaque(rk))) {
      state->remember(std::string(text));
    }
  }
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* state = static_cast<Handle::State*>(opaque);
  if (state->on_delivery) state->on_delivery(*msg);
}

}  // namespace

Handle::Handle(Config config, Role role, DeliveryCallback delivery)
    : state_(std::make_unique<State>()) {
  state_->on_delivery = std::move(delivery);
  bootstrap_ = config.get("bootstrap.servers");
  rd_kafka_conf_set_opaque(config.get(), state_.get());
  rd_kafka_conf_set_error_cb(config.get(), on_error);
  if (!config.was_set("debug")) rd_kafka_conf_set_log_cb(config.get(), on_log);
  if (role == Role::producer) rd_kafka_conf_set_dr_msg_cb(config.get(), on_delivery);

  char errstr[512];
  rd_kafka_conf_t* conf = config.get();
  rk_ = rd_kafka_new(role == Role::producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER, conf,
                     errstr, sizeof errstr);
  if (rk_ == nullptr) throw ClientError(std::string("cannot create Kafka client: ") + errstr);
  config.release();  // rd_kafka_new took ownership of conf
}

Handle::~Handle() {
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

std::string Handle::last_error() const {
  std::lock_guard lock(state_->mutex);
  return state_->last_error;
}

std::string Handle::unreachable_message(std::chrono::milliseconds timeout) const {
  std::string text = "no answer from Kafka at " + bootstrap_ + " within " +
                     std::to_string(timeout.count() / 1000.0).substr(0, 4) + "s";
  const auto last = last_error();
  if (!last.empty()) text += " (" + last + ")";
  return text + "; is a broker running there? (set it with --bootstrap-servers)";
}

std::string Handle::timeout_message(const std::string& request,
                                    std::chrono::milliseconds timeout) const {
  if (!last_error().empty()) return unreachable_message(timeout);
  return "Kafka at " + bootstrap_ + " did not answer the " + request + " request within " +
         std::to_string(timeout.count() / 1000.0).substr(0, 4) +
         "s (does this broker support it?)";
}

ClusterMetadata Handle::metadata(const std::string& topic, std::chrono::milliseconds timeout) {
  rd_kafka_topic_t* rkt = nullptr;
  if (!topic.empty()) rkt = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const auto err = rd_kafka_metadata(rk_, rkt == nullptr ? 1 : 0, rkt, &md,
                                     static_cast<int>(timeout.count()));
  if (rkt != nullptr) rd_kafka_topic_destroy(rkt);
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT) {
    throw ClientError(unreachable_message(timeout), err);
  }
  if (err) {
    throw ClientError(std::string("metadata request failed: ") + rd_kafka_err2str(err), err);
  }
  ClusterMetadata out;
  out.answering_broker_id = md->orig_broker_id;
  for (int i = 0; i < md->broker_cnt; ++i) {
    out.brokers.push_back({md->brokers[i].id, md->brokers[i].host, md->brokers[i].port});
  }
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    TopicInfo info{t.topic, {}, {t.err, {}}};
    for (int p = 0; p < t.partition_cnt; ++p) {
      const auto& src = t.partitions[p];
      PartitionInfo part;
      part.id = src.id;
      part.leader = src.leader;
      part.replicas.assign(src.replicas, src.replicas + src.replica_cnt);
      part.isrs.assign(src.isrs, src.isrs + src.isr_cnt);
      part.error.code = src.err;
      info.partitions.push_back(std::move(part));
    }
    std::sort(info.partitions.begin(), info.partitions.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    out.topics.push_back(std::move(info));
  }
  rd_kafka_metadata_destroy(md);
  std::sort(out.topics.begin(), out.topics.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Watermarks Handle::watermarks(const std::string& topic, int32_t partition,
                              std::chrono::milliseconds timeout) {
  Watermarks w;
  const auto err = rd_kafka_query_watermark_offsets(rk_, topic.c_str(), partition, &w.low,
                                                    &w.high, static_cast<int>(timeout.count()));
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) throw ClientError(unreachable_message(timeout), err);
  if (err) {
    throw ClientError("cannot read the offsets of " + topic + "[" + std::to_string(partition) +
                          "]: " + rd_kafka_err2str(err),
                      err);
  }
  return w;
}

std::vector<int64_t> Handle::offsets_for_times(const std::string& topic,
                                               const std::vector<int32_t>& partitions,
                                               int64_t timestamp_ms,
                                               std::chrono::milliseconds timeout) {
  auto list = make_topic_partition_list(static_cast<int>(partitions.size()));
  for (const auto p : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = timestamp_ms;
  }
  const auto err =
      rd_kafka_offsets_for_times(rk_, list.get(), static_cast<int>(timeout.count()));
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    throw ClientError(unreachable_message(timeout), err);
  }
  if (err) {
    throw ClientError(std::string("cannot look up offsets by timestamp: ") + rd_kafka_err2str(err),
                      err);
  }
  std::vector<int64_t> out;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    if (e.err) {
      throw ClientError("cannot look up offsets by timestamp for " + topic + "[" +
                            std::to_string(e.partition) + "]: " + rd_kafka_err2str(e.err),
                        e.err);
    }
    out.push_back(e.offset < 0 ? -1 : e.offset);
  }
  return out;
}

}  // namespace sluice::kafka::client
