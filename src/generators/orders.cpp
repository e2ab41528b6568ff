#include "generators/orders.h"

#include <stdexcept>
#include <string_view>

#include "generators/kinds.h"
#include "generators/text.h"

namespace sluice::generators {

namespace {

constexpr std::string_view kStatuses[] = {"CREATED", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"};
constexpr std::string_view kRegions[] = {"eu-west", "eu-central", "us-east", "us-west",
                                         "ap-south"};

}  // namespace

OrderGenerator::OrderGenerator(const GeneratorOptions& options)
    : Generator(kind_info(Kind::orders), options),
      rng_(options.seed),
      clock_(options.start_ms, options.step_ms, options.disorder),
      customers_(options.customers) {
  if (customers_ < 1) {
    throw std::invalid_argument("customers must be 1 or more, not " + std::to_string(customers_));
  }
}

void OrderGenerator::next(GeneratedRecord& out) {
  const int64_t ts = clock_.next(rng_);
  out.timestamp_ms = ts - ts % 1000;  // the text carries whole seconds
  const uint64_t customer = 1 + rng_.below(static_cast<uint64_t>(customers_));
  const std::string_view status = kStatuses[rng_.below(std::size(kStatuses))];
  const std::string_view region = kRegions[rng_.below(std::size(kRegions))];
  const int64_t cents = rng_.between(100, 50000);
  out.key.assign("customer-");
  append_padded(out.key, customer, 3);
  out.has_key = true;
  out.defect = {};
  const bool bad = rng_.chance(bad_fraction_);
  const uint64_t variant = bad ? rng_.below(4) : 0;
  std::string& v = out.value;
  if (bad && variant == 3) {
    v.assign(out.key);
    v.push_back(' ');
    v.append(status);
    v.push_back(' ');
    v.append(region);
    v.push_back(' ');
    append_cents(v, cents);
    out.defect = "not key=value pairs";
    return;
  }
  v.assign("customer=");
  v.append(out.key);
  v.append(",status=");
  v.append(status);
  v.append(",region=");
  v.append(region);
  if (bad && variant == 0) {
    out.defect = "missing amount";
  } else if (bad && variant == 1) {
    v.append(",amount=eighty-eight");
    out.defect = "amount is not a number";
  } else {
    v.append(",amount=");
    append_cents(v, cents);
  }
  v.append(",ts=");
  if (bad && variant == 2) {
    v.append("yesterday");
    out.defect = "ts is not a time";
  } else {
    append_iso8601(v, out.timestamp_ms, false, true);
  }
}

}  // namespace sluice::generators
