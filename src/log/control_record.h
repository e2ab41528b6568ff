// Transaction markers at the byte level, as the log needs them: the type of the control
// record in a control batch (Kafka's ControlRecordType, read from the record key:
// version int16 | type int16, 0 = ABORT, 1 = COMMIT). The broker builds marker batches
// with kafka/protocol's RecordBatchBuilder; the log only reads them. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace sluice::log {

enum class ControlType : int16_t { kAbort = 0, kCommit = 1 };

/// The control type of a whole, uncompressed v2 control batch (header included), or
/// nullopt when it is not a control batch or its first record is not a readable marker.
std::optional<ControlType> control_type(std::span<const uint8_t> batch);

}  // namespace sluice::log
