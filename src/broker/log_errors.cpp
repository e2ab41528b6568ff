#include "broker/log_errors.h"

namespace sluice::broker {

kafka::ErrorCode to_kafka_error(const log::Status& status) {
  using kafka::ErrorCode;
  switch (status.code) {
    case log::Errc::kOk: return ErrorCode::kNone;
    case log::Errc::kTopicAlreadyExists: return ErrorCode::kTopicAlreadyExists;
    case log::Errc::kUnknownTopicOrPartition: return ErrorCode::kUnknownTopicOrPartition;
    case log::Errc::kInvalidTopic: return ErrorCode::kInvalidTopicException;
    case log::Errc::kInvalidPartitions: return ErrorCode::kInvalidPartitions;
    case log::Errc::kInvalidConfig: return ErrorCode::kInvalidConfig;
    case log::Errc::kOffsetOutOfRange: return ErrorCode::kOffsetOutOfRange;
    case log::Errc::kCorruptBatch: return ErrorCode::kCorruptMessage;
    case log::Errc::kMessageTooLarge: return ErrorCode::kMessageTooLarge;
    case log::Errc::kStorageError: return ErrorCode::kKafkaStorageError;
    case log::Errc::kOutOfOrderSequence: return ErrorCode::kOutOfOrderSequenceNumber;
    case log::Errc::kInvalidProducerEpoch: return ErrorCode::kInvalidProducerEpoch;
    case log::Errc::kDuplicateSequence: return ErrorCode::kDuplicateSequenceNumber;
  }
  return ErrorCode::kUnknownServerError;
}

}  // namespace sluice::broker
