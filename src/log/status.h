// The outcome of a log or log-store operation: an error code and a message that says what
// went wrong and what to do. Expected failures (unknown topic, bad config, offset out of
// range, disk full) are values of this type, never exceptions. The broker maps the codes
// to Kafka error codes; this module knows nothing of the protocol.
#pragma once

#include <string>
#include <utility>

namespace sluice::log {

enum class Errc {
  kOk = 0,
  kTopicAlreadyExists,       // create of a topic that exists
  kUnknownTopicOrPartition,  // no such topic or partition
  kInvalidTopic,             // a name Kafka would refuse, or one that collides
  kInvalidPartitions,        // partition count < 1, too large, or not an increase
  kInvalidConfig,            // unknown config key or invalid value
  kOffsetOutOfRange,         // read/seek outside [log start, log end]
  kCorruptBatch,             // bytes handed to append are not well-formed v2 batches
  kMessageTooLarge,          // a batch is larger than max.message.bytes
  kStorageError,             // an I/O error (ENOSPC, EIO, permissions...) or a closed log
  kOutOfOrderSequence,       // an idempotent producer's batch does not follow its last one
  kInvalidProducerEpoch,     // an idempotent producer's batch has an epoch older than its own
  kDuplicateSequence,        // a retried batch inside a multi-batch append (see ProducerState)
};

/// The name of a code, for log lines and test messages ("OFFSET_OUT_OF_RANGE").
const char* errc_name(Errc code);

struct Status {
  Errc code = Errc::kOk;
  std::string message;

  bool ok() const { return code == Errc::kOk; }
  static Status success() { return {}; }
  static Status error(Errc code, std::string message) { return {code, std::move(message)}; }
};

}  // namespace sluice::log
