// What an exactly-once KafkaSink's writers share with its KafkaTransactionCommitter: the one
// transactional producer, per-writer delivery tallies, and the wait for a checkpoint's
// commit (include/sluice/kafka_sink.h has the protocol). Private to src/connectors.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kafka/client/handle.h"
#include "sluice/kafka_sink.h"

namespace sluice::detail {

// The delivery reports of one writer's records on a shared producer. Its records carry it
// as their opaque; reports arrive on whichever thread polls the producer, hence atomics.
// `sent` is written by the writer's thread only.
struct DeliveryTally {
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> failed{0};
  std::mutex mutex;
  std::map<std::string, uint64_t> failures;  // "topic: error" -> records, under mutex

  void on_delivery(const rd_kafka_message_t& m);
  uint64_t reported() const { return delivered.load() + failed.load(); }
  // "topic: ERR (text) xN; ..." of the failures so far.
  std::string describe_failures();
};

struct KafkaTransactionCommitter::State {
  KafkaSinkSettings settings;
  std::string name;  // for messages: "Kafka sink transactions (<transactional id>)"

  mutable std::mutex mutex;
  std::condition_variable resolved_cv;
  // Tallies live as long as the committer: a report may arrive after its writer is gone.
  std::vector<std::shared_ptr<DeliveryTally>> tallies;
  // The producer; writers hold a reference while they are open. Declared after the tallies
  // so that it is destroyed (and its last reports served) first.
  std::shared_ptr<kafka::client::Handle> producer;
  bool initialized = false;      // init_transactions done on `producer`
  bool in_transaction = false;   // begin_transaction done, not yet committed or aborted
  bool open = false;             // between open() and close()
  CheckpointId resolved = 0;     // the newest checkpoint committed or abandoned
  CheckpointId committed = 0;    // the newest checkpoint this run committed
  std::string failure;           // why writers cannot go on (a commit failed, closed)

  // For writers: a tally for a new writer, and the producer of the open committer.
  // Throws KafkaConnectorError when the committer is not open.
  std::shared_ptr<DeliveryTally> add_writer();
  std::shared_ptr<kafka::client::Handle> current_producer(const std::string& writer);
  // Blocks until checkpoint `id` is committed or abandoned; throws KafkaConnectorError when
  // the committer closed or failed first.
  void wait_resolved(CheckpointId id, const std::string& writer);

  // Under mutex: a producer with init_transactions done (fencing earlier instances).
  void ensure_producer();
  void destroy_producer();
  // Runs a transactional call (given the producer and a timeout in ms), retrying while
  // librdkafka says the error is retriable and flush_timeout has not run out. Throws
  // KafkaConnectorError naming `what` otherwise.
  void call(const std::string& what, const std::function<rd_kafka_error_t*(rd_kafka_t*, int)>& fn);
};

}  // namespace sluice::detail
