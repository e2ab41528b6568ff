// TransactionGenerator (kind "transactions", job transactions, seed 004): key = user_id,
// value the seed's JSON, fields in the seed's order:
//   {"transaction_id":"txn_1716467696_000001","user_id":"user_42","product":"laptop",
//    "category":"electronics","amount":999.99,"quantity":1,"payment_method":"credit_card",
//    "timestamp":"2024-05-23T12:34:56","location":"city_5"}
// transaction_id is unique per generator (txn_<epoch s>_<sequence>); amount = unit price x
// quantity with exactly two decimals (prices per product, so that some amounts are above
// 100 and some above 500); users user_1..user_N (default 100), locations city_1..city_N;
// timestamp UTC at whole seconds without a zone, as the seed's Python writes it. Bad
// records (default fraction 0): truncated JSON, bytes that are not UTF-8 JSON, no amount,
// an amount that is a string.
#pragma once

#include <cstdint>
#include <string_view>

#include "generators/event_clock.h"
#include "generators/generator.h"
#include "generators/random.h"

namespace sluice::generators {

struct Product {
  std::string_view name;
  std::string_view category;
  int64_t min_cents;
  int64_t max_cents;
};

class TransactionGenerator final : public Generator {
 public:
  explicit TransactionGenerator(const GeneratorOptions& options);
  void next(GeneratedRecord& out) override;
  // The catalogue the generator draws from (category and unit price range per product).
  static std::span<const Product> products();

 private:
  Random rng_;
  EventClock clock_;
  int users_;
  int locations_;
  uint64_t sequence_ = 0;
};

}  // namespace sluice::generators
