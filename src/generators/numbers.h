// NumberGenerator (kind "numbers", job pair-sum, seed 001): no key; value one integer as
// text, uniform in 0..pair_sum (GeneratorOptions::pair_sum, default 12). Bad records, 1%
// by default as the seed's producer sends "occasional out-of-range data": integers above
// pair_sum or below 0 ("out of range"), text that is not an integer ("not an integer":
// "abc", "3.5", "", "0x0C", ...).
#pragma once

#include "generators/event_clock.h"
#include "generators/generator.h"
#include "generators/random.h"

namespace sluice::generators {

class NumberGenerator final : public Generator {
 public:
  explicit NumberGenerator(const GeneratorOptions& options);
  void next(GeneratedRecord& out) override;
  int pair_sum() const { return pair_sum_; }

 private:
  Random rng_;
  EventClock clock_;
  int pair_sum_;
};

}  // namespace sluice::generators
