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
    SLUICE_ERROR_NAME(kOutOfOrderSequenceNumber, "OUT_OF_ORDER_SEQUENCE_NUMBER")
    SLUICE_ERROR_NAME(kInvalidProducerEpoch, "INVALID_PRODUCER_EPOCH")
    SLUICE_ERROR_NAME(kInvalidTxnState, "INVALID_TXN_STATE")
    SLUICE_ERROR_NAME(kInvalidProducerIdMapping, "INVALID_PRODUCER_ID_MAPPING")
    SLUICE_ERROR_NAME(kInvalidTransactionTimeout, "INVALID_TRANSACTION_TIMEOUT")
    SLUICE_ERROR_NAME(kConcurrentTransactions, "CONCURRENT_TRANSACTIONS")
    SLUICE_ERROR_NAME(kOperationNotAttempted, "OPERATION_NOT_ATTEMPTED")
    SLUICE_ERROR_NAME(kProducerFenced, "PRODUCER_FENCED")
    SLUICE_ERROR_NAME(kTransactionalIdNotFound, "TRANSACTIONAL_ID_NOT_FOUND")
    SLUICE_ERROR_NAME(kCoordinatorNotAvailable, "COORDINATOR_NOT_AVAILABLE")
    SLUICE_ERROR_NAME(kIllegalGeneration, "ILLEGAL_GENERATION")
    SLUICE_ERROR_NAME(kUnknownMemberId, "UNKNOWN_MEMBER_ID")
#undef SLUICE_ERROR_NAME
    default:
      return "ERROR";
  }
}

}  // namespace sluice::kafka
