#include "kafka/protocol/errors.h"

namespace sluice::kafka {

std::string_view error_name(ErrorCode e) {
  switch (e) {
#define SLUICE_ERROR_NAME(code, name) \
  case ErrorCode::code:               \
    return name;
    SLUICE_ERROR_NAME(kUnknownServerError, "UNKNOWN_SERVER_ERROR")
    SLUICE_ERROR_NAME(kNone, "NONE")
    SLUICE_ERROR_NAME(kOffsetOutOfRange, "OFFSET_OUT_OF_RANGE")
    SLUICE_ERROR_NAME(kCorruptMessage, "CORRUPT_MESSAGE")
    SLUICE_ERROR_NAME(kUnknownTopicOrPartition, "UNKNOWN_TOPIC_OR_PARTITION")
    SLUICE_ERROR_NAME(kMessageTooLarge, "MESSAGE_TOO_LARGE")
    SLUICE_ERROR_NAME(kInvalidTopicException, "INVALID_TOPIC_EXCEPTION")
    SLUICE_ERROR_NAME(kInvalidRequiredAcks, "INVALID_REQUIRED_ACKS")
    SLUICE_ERROR_NAME(kUnsupportedSaslMechanism, "UNSUPPORTED_SASL_MECHANISM")
    SLUICE_ERROR_NAME(kUnsupportedVersion, "UNSUPPORTED_VERSION")
    SLUICE_ERROR_NAME(kTopicAlreadyExists, "TOPIC_ALREADY_EXISTS")
    SLUICE_ERROR_NAME(kInvalidPartitions, "INVALID_PARTITIONS")
    SLUICE_ERROR_NAME(kInvalidReplicationFactor, "INVALID_REPLICATION_FACTOR")
    SLUICE_ERROR_NAME(kInvalidConfig, "INVALID_CONFIG")
    SLUICE_ERROR_NAME(kInvalidRequest, "INVALID_REQUEST")
    SLUICE_ERROR_NAME(kInvalidRecord, "INVALID_RECORD")
    SLUICE_ERROR_NAME(kUnsupportedCompressionType, "UNSUPPORTED_COMPRESSION_TYPE")
    SLUICE_ERROR_NAME(kKafkaStorageError, "KAFKA_STORAGE_ERROR")
#undef SLUICE_ERROR_NAME
    default:
      return "ERROR";
  }
}

}  // namespace sluice::kafka
