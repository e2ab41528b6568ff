// What flows between operators: records with their event timestamps, in batches, and the
// control events that travel in order with them (watermarks, idleness, end of input).
// A Batch is the unit a channel carries: first its records, then its control event.
#pragma once

#include <cstdint>
#include <vector>

#include "sluice/time.h"

namespace sluice::runtime {

template <class T>
struct StreamRecord {
  T value;
  Timestamp timestamp;
};

enum class ControlKind : uint8_t {
  none,
  watermark,     // value: the watermark
  idle,          // the sender has no data for now: leave it out of watermark minimums
  active,        // the sender has data again
  end_of_input,  // the sender is done; nothing follows (value: kSuspend when the job stops
                 // with a savepoint: operators keep their state and skip end-of-input work)
  checkpoint_barrier,  // value: the checkpoint id; everything before it is in that checkpoint
};

struct Control {
  ControlKind kind = ControlKind::none;
  Timestamp value = 0;

  static Control watermark(Timestamp t) { return {ControlKind::watermark, t}; }
  static Control idle() { return {ControlKind::idle, 0}; }
  static Control active() { return {ControlKind::active, 0}; }
  static Control end_of_input() { return {ControlKind::end_of_input, 0}; }
  static constexpr Timestamp kSuspend = 1;
  static Control suspend() { return {ControlKind::end_of_input, kSuspend}; }
  static Control barrier(uint64_t checkpoint_id) {
    return {ControlKind::checkpoint_barrier, static_cast<Timestamp>(checkpoint_id)};
  }
  bool suspended() const { return kind == ControlKind::end_of_input && value == kSuspend; }
};

template <class T>
struct Batch {
  std::vector<StreamRecord<T>> records;
  Control control;
};

}  // namespace sluice::runtime
