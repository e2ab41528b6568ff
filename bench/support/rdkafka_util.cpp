#include "rdkafka_util.h"

#include <stdexcept>
#include <thread>

namespace sluice::bench {

using namespace std::chrono_literals;

void ClientErrors::add(std::string e) {
  for (auto& s : seen)
    if (s == e) return;
  if (seen.size() < 20) seen.push_back(std::move(e));
}

void error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* errors = static_cast<ClientErrors*>(opaque);
  if (!errors) return;
  if (err == RD_KAFKA_RESP_ERR__FATAL) errors->fatal = true;
  errors->add(std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))) + ": " + reason);
}

/// A handle of `type` with `settings`, error_cb reporting into `errors` (may be null).
KafkaPtr make_client(rd_kafka_type_t type, const KafkaSettings& settings, ClientErrors* errors,
                     const std::function<void(rd_kafka_conf_t*)>& configure) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  for (auto& [k, v] : settings) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error("librdkafka config " + k + "=" + v + ": " + errstr);
    }
  }
  rd_kafka_conf_set_error_cb(conf, error_cb);
  rd_kafka_conf_set_opaque(conf, errors);
  if (configure) configure(conf);
  rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("rd_kafka_new: ") + errstr);
  }
  return KafkaPtr(rk);
}

/// Asks for the topic's metadata until every one of `partitions` has a leader.
std::string wait_for_metadata(rd_kafka_t* rk, const std::string& topic, int partitions,
                              std::chrono::steady_clock::time_point deadline) {
  std::string last = "no metadata response";
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  while (std::chrono::steady_clock::now() < deadline) {
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
    if (err) {
      last = std::string("metadata request: ") + rd_kafka_err2str(err);
    } else {
      bool ready = false;
      for (int i = 0; i < md->topic_cnt; ++i) {
        const auto& t = md->topics[i];
        if (topic != t.topic) continue;
        if (t.err) {
          last = std::string("metadata for ") + topic + ": " + rd_kafka_err2name(t.err);
        } else if (t.partition_cnt != partitions) {
          last = "metadata shows " + std::to_string(t.partition_cnt) + " partitions, expected " +
                 std::to_string(partitions);
        } else {
          ready = true;
          for (int p = 0; p < t.partition_cnt; ++p) {
            if (t.partitions[p].err || t.partitions[p].leader < 0) {
              ready = false;
              last = "partition " + std::to_string(t.partitions[p].id) + " has no leader (" +
                     rd_kafka_err2name(t.partitions[p].err) + ")";
            }
          }
        }
      }
      rd_kafka_metadata_destroy(md);
      if (ready) {
        rd_kafka_topic_destroy(rkt);
        return "";
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  rd_kafka_topic_destroy(rkt);
  return "topic " + topic + " not ready: " + last;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (auto& s : v) out += (out.empty() ? "" : "; ") + s;
  return out;
}

}  // namespace sluice::bench
