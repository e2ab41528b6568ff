// The Kafka error code for a log store outcome.
#pragma once

#include "kafka/protocol/errors.h"
#include "log/log_store.h"

namespace sluice::broker {

kafka::ErrorCode to_kafka_error(const log::Status& status);

}  // namespace sluice::broker
