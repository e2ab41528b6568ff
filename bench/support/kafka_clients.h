// Thin librdkafka (C API) drivers for benchmarks: create a topic, produce records as fast as
// the client allows, and fetch them back, each reporting counts and wall-clock time.
//
// They are deliberately standalone (not kafka/client) so that the benchmark measures what
// any librdkafka user gets, with the settings written out here. Every function makes and
// destroys its own rd_kafka_t; failures come back as a non-empty `error` (what happened and
// how far it got), never as silent short counts. Not thread-safe across calls on one object.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice::bench {

/// CreateTopics through the admin API, then waits until metadata shows every partition with
/// a leader. Returns "" on success, else the error.
std::string create_topic(const std::string& bootstrap, const std::string& topic, int partitions,
                         std::chrono::seconds timeout = std::chrono::seconds(30));

struct ClientRun {
  uint64_t records = 0;  // produce: acknowledged; fetch: received
  uint64_t bytes = 0;    // value bytes only (keys and record framing are not counted)
  double seconds = 0;    // produce: first send to last delivery report; fetch: assign to last record
  double first_record_seconds = -1;  // produce: to the first delivery report; fetch: to the first record
  std::string error;     // empty when everything went as expected
  std::vector<std::string> notes;  // non-fatal client errors seen on the way (e.g. retries)
  double mb_per_s() const { return seconds > 0 ? bytes / seconds / 1e6 : 0; }
  double records_per_s() const { return seconds > 0 ? records / seconds : 0; }
};

struct ProduceSpec {
  std::string bootstrap, topic;
  size_t record_bytes = 1024;
  uint64_t max_records = 0;                 // 0: no limit, stop at `duration`
  std::chrono::duration<double> duration{5};  // ignored when max_records > 0
  std::chrono::seconds stall_timeout{30};   // no delivery report for this long = failure
};

/// acks=1, linger.ms=5, batch.size=1000000, compression none, a large producer queue; every
/// record to partition 0; waits for every delivery report.
ClientRun produce_records(const ProduceSpec& spec);

struct FetchSpec {
  std::string bootstrap, topic;
  size_t record_bytes = 1024;  // each record's value must have this size
  uint64_t expected_records = 0;
  std::chrono::seconds stall_timeout{30};  // no record for this long = failure
};

/// Assigns partition 0 from the beginning (fetch.max.bytes and max.partition.fetch.bytes
/// 64 MiB, local queue up to 1 GiB) and reads until expected_records; checks offsets are 0, 1, 2, ... and sizes.
ClientRun fetch_records(const FetchSpec& spec);

std::string librdkafka_version();

}  // namespace sluice::bench
