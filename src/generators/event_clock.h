// EventClock: the event times of one generator. An in-order clock starts at start_ms and
// advances by step_ms per record; Disorder moves some records back in time (out of order,
// or late). Draws from the generator's Random only when a disorder fraction is non-zero,
// so turning disorder off leaves the rest of the records unchanged.
#pragma once

#include <algorithm>
#include <cstdint>

#include "generators/generator.h"
#include "generators/random.h"

namespace sluice::generators {

class EventClock {
 public:
  EventClock(int64_t start_ms, int64_t step_ms, const Disorder& disorder)
      : now_(start_ms), step_(step_ms), disorder_(disorder) {}

  // The next record's event time (never negative).
  int64_t next(Random& rng) {
    const int64_t clock = now_;
    now_ += step_;
    int64_t ts = clock;
    if (rng.chance(disorder_.late_fraction)) {
      ts = clock - disorder_.late_by_ms;
    } else if (rng.chance(disorder_.out_of_order_fraction) && disorder_.max_out_of_order_ms > 0) {
      ts = clock - rng.between(1, disorder_.max_out_of_order_ms);
    }
    return std::max<int64_t>(ts, 0);
  }

 private:
  int64_t now_;
  int64_t step_;
  Disorder disorder_;
};

}  // namespace sluice::generators
