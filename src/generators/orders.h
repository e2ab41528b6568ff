// OrderGenerator (kind "orders", job order-aggregates, seed 002): key = customer, value
//   customer=customer-042,status=SHIPPED,region=eu-west,amount=88.40,ts=2024-05-23T12:34:56Z
// customers customer-001..customer-N (GeneratorOptions::customers, default 100), statuses
// CREATED PAID SHIPPED DELIVERED CANCELLED, regions eu-west eu-central us-east us-west
// ap-south, amounts 1.00..500.00 (exact cents), ts at whole seconds (the record's
// timestamp_ms is that second). Disorder makes some ts out of order or late. Bad records
// (default fraction 0): a missing field, an amount that is not a number, a ts that is not
// a time, a line that is not key=value pairs.
#pragma once

#include "generators/event_clock.h"
#include "generators/generator.h"
#include "generators/random.h"

namespace sluice::generators {

class OrderGenerator final : public Generator {
 public:
  explicit OrderGenerator(const GeneratorOptions& options);
  void next(GeneratedRecord& out) override;

 private:
  Random rng_;
  EventClock clock_;
  int customers_;
};

}  // namespace sluice::generators
