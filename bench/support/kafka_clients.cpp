#include "kafka_clients.h"
#include "rdkafka_util.h"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <stdexcept>
#include <thread>

namespace sluice::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

std::string librdkafka_version() { return rd_kafka_version_str(); }

std::string create_topic(const std::string& bootstrap, const std::string& topic, int partitions,
                         std::chrono::seconds timeout) {
  ClientErrors errors;
  auto rk = make_client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}}, &errors);
  auto deadline = Clock::now() + timeout;
  char errstr[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, errstr, sizeof errstr);
  if (!nt) return std::string("NewTopic: ") + errstr;
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, 20000, errstr, sizeof errstr);
  rd_kafka_CreateTopics(rk.get(), &nt, 1, options, q);
  std::string error;
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, static_cast<int>(timeout.count() * 1000));
  if (!ev) {
    error = "CreateTopics " + topic + ": no answer within " + std::to_string(timeout.count()) + " s";
  } else if (rd_kafka_event_error(ev)) {
    error = "CreateTopics " + topic + ": " + rd_kafka_event_error_string(ev);
  } else {
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
    if (n != 1) error = "CreateTopics " + topic + ": " + std::to_string(n) + " results, expected 1";
    for (size_t i = 0; i < n; ++i) {
      rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
      if (err) {
        const char* msg = rd_kafka_topic_result_error_string(results[i]);
        error = "CreateTopics " + topic + ": " + rd_kafka_err2name(err) + (msg ? std::string(" ") + msg : "");
      }
    }
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_queue_destroy(q);
  if (error.empty()) error = wait_for_metadata(rk.get(), topic, partitions, deadline);
  if (!error.empty() && !errors.seen.empty()) error += " (client errors: " + join(errors.seen) + ")";
  return error;
}

namespace {

struct DeliveryState {
  uint64_t delivered = 0;
  uint64_t failed = 0;
  uint64_t bytes = 0;
  std::string first_failure;
  Clock::time_point first_report, last_report;
};

void delivery_cb(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* st = static_cast<DeliveryState*>(m->_private);  // the msg_opaque given to produce
  st->last_report = Clock::now();
  if (st->delivered + st->failed == 0) st->first_report = st->last_report;
  if (m->err) {
    if (st->failed++ == 0) st->first_failure = rd_kafka_err2name(m->err) + std::string(": ") + rd_kafka_message_errstr(m);
  } else {
    ++st->delivered;
    st->bytes += m->len;
  }
}

}  // namespace

ClientRun produce_records(const ProduceSpec& spec) {
  ClientRun run;
  ClientErrors errors;
  DeliveryState st;
  // rd_kafka_conf_set_dr_msg_cb must be on the conf before rd_kafka_new: build it by hand.
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  const std::vector<std::pair<std::string, std::string>> settings = {
      {"bootstrap.servers", spec.bootstrap},
      {"client.id", "sluice-bench-producer"},
      {"acks", "1"},
      {"linger.ms", "5"},
      {"batch.size", "1000000"},
      {"compression.type", "none"},
      {"queue.buffering.max.messages", "10000000"},
      {"queue.buffering.max.kbytes", "131072"},  // 128 MiB in the client's queue at most
      {"enable.idempotence", "false"},
  };
  for (auto& [k, v] : settings) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      run.error = "librdkafka config " + k + "=" + v + ": " + errstr;
      return run;
    }
  }
  rd_kafka_conf_set_error_cb(conf, error_cb);
  rd_kafka_conf_set_opaque(conf, &errors);
  rd_kafka_conf_set_dr_msg_cb(conf, delivery_cb);
  rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!raw) {
    rd_kafka_conf_destroy(conf);
    run.error = std::string("rd_kafka_new: ") + errstr;
    return run;
  }
  KafkaPtr rk(raw);

  // Connect and learn the leader before the clock starts.
  std::string md_error = wait_for_metadata(rk.get(), spec.topic, 1, Clock::now() + 30s);
  if (!md_error.empty()) {
    run.error = md_error;
    return run;
  }
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk.get(), spec.topic.c_str(), nullptr);

  std::vector<char> payload(spec.record_bytes);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (auto& c : payload) {  // xorshift: not trivially compressible
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }

  uint64_t sent = 0;
  auto start = Clock::now();
  st.last_report = start;
  auto deadline = start + std::chrono::duration_cast<Clock::duration>(spec.duration);
  for (;;) {
    if (spec.max_records ? sent >= spec.max_records
                         : ((sent & 255) == 0 && Clock::now() >= deadline)) {
      break;
    }
    // No RD_KAFKA_MSG_F_COPY: the payload outlives the producer, so librdkafka may point at it.
    int r = rd_kafka_produce(rkt, 0, 0, payload.data(), payload.size(), nullptr, 0, &st);
    if (r != 0) {
      rd_kafka_resp_err_t err = rd_kafka_last_error();
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk.get(), 1);
        continue;
      }
      run.error = std::string("produce: ") + rd_kafka_err2str(err) + " after " + std::to_string(sent) + " records";
      break;
    }
    if ((++sent & 1023) == 0) rd_kafka_poll(rk.get(), 0);
  }

  // Wait for every delivery report, or give up when none has come for stall_timeout.
  while (st.delivered + st.failed < sent && !errors.fatal) {
    rd_kafka_poll(rk.get(), 50);
    if (Clock::now() - st.last_report > spec.stall_timeout) {
      run.error = "produce stalled: " + std::to_string(st.delivered + st.failed) + " of " +
                  std::to_string(sent) + " records acknowledged, none in the last " +
                  std::to_string(spec.stall_timeout.count()) + " s";
      break;
    }
  }
  run.records = st.delivered;
  run.bytes = st.bytes;
  run.seconds = seconds_between(start, st.last_report);
  if (st.delivered + st.failed) run.first_record_seconds = seconds_between(start, st.first_report);
  if (run.error.empty() && st.failed) {
    run.error = std::to_string(st.failed) + " of " + std::to_string(sent) +
                " records failed delivery; first: " + st.first_failure;
  }
  if (run.error.empty() && errors.fatal) run.error = "fatal client error: " + join(errors.seen);
  run.notes = errors.seen;
  if (!run.error.empty()) {
    rd_kafka_purge(rk.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(rk.get(), 0);
  }
  rd_kafka_topic_destroy(rkt);
  return run;
}

ClientRun fetch_records(const FetchSpec& spec) {
  ClientRun run;
  ClientErrors errors;
  KafkaPtr rk;
  try {
    rk = make_client(RD_KAFKA_CONSUMER,
                     {
                         {"bootstrap.servers", spec.bootstrap},
                         {"client.id", "sluice-bench-consumer"},
                         // librdkafka's consumer API needs a group id even with assign();
                         // nothing is committed.
                         {"group.id", "sluice-bench-" + std::to_string(::getpid())},
                         {"enable.auto.commit", "false"},
                         {"enable.auto.offset.store", "false"},
                         {"fetch.max.bytes", std::to_string(64 << 20)},
                         {"max.partition.fetch.bytes", std::to_string(64 << 20)},
                         {"receive.message.max.bytes", std::to_string((64 << 20) + (1 << 20))},
                         // librdkafka 2.0 stops fetching while more than queued.min.messages
                         // (default 100000) are queued and then re-checks only about once a
                         // second: one 64 MiB response of 100 B records (~600k) would stall
                         // the consumer ~1 s per response. Keep both limits above a response.
                         {"queued.min.messages", "10000000"},
                         {"queued.max.messages.kbytes", std::to_string(1 << 20)},
                         {"enable.partition.eof", "false"},
                     },
                     &errors);
  } catch (const std::exception& e) {
    run.error = e.what();
    return run;
  }
  std::string md_error = wait_for_metadata(rk.get(), spec.topic, 1, Clock::now() + 30s);
  if (!md_error.empty()) {
    run.error = md_error;
    return run;
  }
  rd_kafka_poll_set_consumer(rk.get());

  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(parts, spec.topic.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  auto start = Clock::now();
  rd_kafka_resp_err_t err = rd_kafka_assign(rk.get(), parts);
  rd_kafka_topic_partition_list_destroy(parts);
  if (err) {
    run.error = std::string("assign: ") + rd_kafka_err2str(err);
    return run;
  }

  int64_t next_offset = 0;
  uint64_t wrong_offsets = 0, wrong_sizes = 0;
  std::string first_wrong;
  std::set<std::string> message_errors;
  auto last_progress = start, last_record = start;
  bool first = true;
  while (run.records < spec.expected_records && !errors.fatal) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 100);
    auto now = Clock::now();
    if (!m) {
      if (now - last_progress > spec.stall_timeout) {
        run.error = "fetch stalled: " + std::to_string(run.records) + " of " +
                    std::to_string(spec.expected_records) + " records received (last offset " +
                    std::to_string(next_offset - 1) + "), none in the last " +
                    std::to_string(spec.stall_timeout.count()) + " s";
        break;
      }
      continue;
    }
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        std::string e = std::string(rd_kafka_err2name(m->err)) + ": " + rd_kafka_message_errstr(m);
        if (message_errors.insert(e).second) errors.add("consumer: " + e);
      }
    } else {
      if (m->offset != next_offset && wrong_offsets++ == 0) {
        first_wrong = "expected offset " + std::to_string(next_offset) + ", got " + std::to_string(m->offset);
      }
      if (m->len != spec.record_bytes && wrong_sizes++ == 0 && first_wrong.empty()) {
        first_wrong = "offset " + std::to_string(m->offset) + " has " + std::to_string(m->len) +
                      " bytes, expected " + std::to_string(spec.record_bytes);
      }
      next_offset = m->offset + 1;
      if (first) {
        run.first_record_seconds = seconds_between(start, now);
        first = false;
      }
      ++run.records;
      run.bytes += m->len;
      last_progress = last_record = now;
    }
    rd_kafka_message_destroy(m);
  }
  run.seconds = seconds_between(start, last_record);
  if (run.error.empty() && errors.fatal) run.error = "fatal client error: " + join(errors.seen);
  if (wrong_offsets || wrong_sizes) {
    run.error += std::string(run.error.empty() ? "" : "; ") + "fetched records are wrong: " +
                 std::to_string(wrong_offsets) + " out-of-sequence offsets, " + std::to_string(wrong_sizes) +
                 " wrong sizes; first: " + first_wrong;
  }
  run.notes = errors.seen;
  rd_kafka_consumer_close(rk.get());
  return run;
}

}  // namespace sluice::bench
