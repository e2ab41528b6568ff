#include "log/status.h"

namespace sluice::log {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::kOk:
      return "OK";
    case Errc::kTopicAlreadyExists:
      return "TOPIC_ALREADY_EXISTS";
    case Errc::kUnknownTopicOrPartition:
      return "UNKNOWN_TOPIC_OR_PARTITION";
    case Errc::kInvalidTopic:
      return "INVALID_TOPIC";
    case Errc::kInvalidPartitions:
      return "INVALID_PARTITIONS";
    case Errc::kInvalidConfig:
      return "INVALID_CONFIG";
    case Errc::kOffsetOutOfRange:
      return "OFFSET_OUT_OF_RANGE";
    case Errc::kCorruptBatch:
      return "CORRUPT_BATCH";
    case Errc::kMessageTooLarge:
      return "MESSAGE_TOO_LARGE";
    case Errc::kStorageError:
      return "STORAGE_ERROR";
    case Errc::kOutOfOrderSequence:
      return "OUT_OF_ORDER_SEQUENCE";
    case Errc::kInvalidProducerEpoch:
      return "INVALID_PRODUCER_EPOCH";
    case Errc::kDuplicateSequence:
      return "DUPLICATE_SEQUENCE";
  }
  return "UNKNOWN";
}

}  // namespace sluice::log
