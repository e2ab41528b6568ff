// How `groups reset-offsets` (like kafka-consumer-groups --reset-offsets) chooses a
// partition's new committed offset: the reset modes, the ISO-8601 datetimes they take, and
// the clamping of a target to the offsets the partition still has. Pure functions; any
// thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kafka/client/metadata.h"

namespace sluice::kafka::client {

struct OffsetReset {
  enum class Mode { earliest, latest, offset, timestamp, shift_by };
  Mode mode = Mode::earliest;
  int64_t value = 0;  // the offset, the timestamp in ms, or the shift
};

// What is known about one partition when choosing its new offset.
struct PartitionPosition {
  int64_t committed = -1;  // -1: nothing committed
  Watermarks watermarks;
  int64_t offset_for_time = -1;  // Mode::timestamp: the lookup's answer, -1 if none
};

struct ResetTarget {
  int64_t offset = 0;
  // The mode asked for an offset outside [low, high]; it was moved to the nearest end, as
  // Kafka does.
  bool clamped = false;
};

// The new offset of one partition. A timestamp later than every record gives the log end
// offset. Throws std::invalid_argument for shift_by on a partition without a committed
// offset.
ResetTarget reset_target(const OffsetReset& reset, const PartitionPosition& position);

// Milliseconds since the epoch of "YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|+HH:MM|-HH:MM|+HHMM]".
// Without a zone the time is local, as in kafka-consumer-groups --to-datetime. Throws
// std::invalid_argument naming the expected format.
int64_t parse_datetime_ms(std::string_view text);

}  // namespace sluice::kafka::client
