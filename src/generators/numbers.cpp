#include "generators/numbers.h"

#include <stdexcept>
#include <string_view>

#include "generators/kinds.h"
#include "generators/text.h"

namespace sluice::generators {

namespace {

constexpr std::string_view kNotIntegers[] = {
    "abc", "seven", "12abc", "3.5", "", "NaN", "0x0C", "--1", "1e3", "{\"n\":7}", "null", "7 7"};

}  // namespace

NumberGenerator::NumberGenerator(const GeneratorOptions& options)
    : Generator(kind_info(Kind::numbers), options),
      rng_(options.seed),
      clock_(options.start_ms, options.step_ms, Disorder{}),
      pair_sum_(options.pair_sum) {
  if (pair_sum_ < 0) {
    throw std::invalid_argument("pair sum must be 0 or more, not " + std::to_string(pair_sum_));
  }
}

void NumberGenerator::next(GeneratedRecord& out) {
  out.timestamp_ms = clock_.next(rng_);
  out.has_key = false;
  out.key.clear();
  out.value.clear();
  out.defect = {};
  if (!rng_.chance(bad_fraction_)) {
    append_int(out.value, static_cast<int64_t>(rng_.below(static_cast<uint64_t>(pair_sum_) + 1)));
    return;
  }
  switch (rng_.below(4)) {
    case 0:
      append_int(out.value, pair_sum_ + 1 + static_cast<int64_t>(rng_.below(100)));
      out.defect = "out of range";
      break;
    case 1:
      append_int(out.value, -1 - static_cast<int64_t>(rng_.below(100)));
      out.defect = "out of range";
      break;
    case 2:
      out.value.assign("99999999999999999999");  // beyond int64 too
      out.defect = "out of range";
      break;
    default:
      out.value.assign(kNotIntegers[rng_.below(std::size(kNotIntegers))]);
      out.defect = "not an integer";
      break;
  }
}

}  // namespace sluice::generators
