// WatermarkStrategy<T>: how a source assigns event timestamps to records and how far
// behind the largest timestamp seen its watermark trails (Flink's WatermarkStrategy).
// A value type, copied into every source subtask; the assigner must be thread-safe to call
// from several subtasks at once (a pure function is).
//
// Watermark rule (as Flink): bounded out-of-orderness B gives max_timestamp - B - 1, so
// a record with timestamp max_timestamp - B is still on time. A split (e.g. a Kafka
// partition) that has had no record for the idleness timeout is left out of the source's
// minimum until it has records again.
#pragma once

#include <functional>
#include <optional>

#include "sluice/time.h"

namespace sluice {

template <class T>
class WatermarkStrategy {
 public:
  using TimestampAssigner = std::function<Timestamp(const T& value, Timestamp record_timestamp)>;

  // No event time at all: records keep their source timestamps, no watermarks are made
  // (processing-time jobs). A bounded source still ends with the final watermark.
  static WatermarkStrategy no_watermarks() { return WatermarkStrategy(false, Duration(0)); }
  static WatermarkStrategy for_monotonous_timestamps() { return WatermarkStrategy(true, Duration(0)); }
  static WatermarkStrategy for_bounded_out_of_orderness(Duration max_out_of_orderness) {
    return WatermarkStrategy(true, max_out_of_orderness);
  }

  WatermarkStrategy with_timestamp_assigner(TimestampAssigner assigner) const {
    WatermarkStrategy copy = *this;
    copy.assigner_ = std::move(assigner);
    return copy;
  }
  WatermarkStrategy with_idleness(Duration timeout) const {
    WatermarkStrategy copy = *this;
    copy.idleness_ = timeout;
    return copy;
  }

  bool generates_watermarks() const { return watermarks_; }
  Duration max_out_of_orderness() const { return bound_; }
  std::optional<Duration> idleness() const { return idleness_; }

  // The record's event timestamp: the assigner's answer, else the source's own timestamp.
  Timestamp timestamp_of(const T& value, Timestamp record_timestamp) const {
    return assigner_ ? assigner_(value, record_timestamp) : record_timestamp;
  }
  // The watermark after seeing `max_timestamp` as the largest timestamp so far.
  Timestamp watermark_for(Timestamp max_timestamp) const {
    if (!watermarks_ || max_timestamp == kMinTimestamp) return kMinTimestamp;
    return max_timestamp - bound_.count() - 1;
  }

 private:
  WatermarkStrategy(bool watermarks, Duration bound) : watermarks_(watermarks), bound_(bound) {}

  bool watermarks_;
  Duration bound_;
  std::optional<Duration> idleness_;
  TimestampAssigner assigner_;
};

}  // namespace sluice
