#include "generators/transactions.h"

#include <stdexcept>

#include "generators/kinds.h"
#include "generators/text.h"

namespace sluice::generators {

namespace {

constexpr Product kProducts[] = {
    {"laptop", "electronics", 49999, 199999},   {"smartphone", "electronics", 19999, 119999},
    {"headphones", "electronics", 1999, 34999}, {"tablet", "electronics", 14999, 89999},
    {"t-shirt", "clothing", 999, 3999},         {"jeans", "clothing", 2999, 12999},
    {"jacket", "clothing", 4999, 29999},        {"shoes", "clothing", 3999, 19999},
    {"novel", "books", 799, 2999},              {"textbook", "books", 2999, 14999},
    {"cookbook", "books", 1499, 4999},          {"lamp", "home", 1999, 14999},
    {"chair", "home", 4999, 39999},             {"blender", "home", 2999, 19999},
    {"yoga_mat", "sports", 1499, 7999},         {"dumbbells", "sports", 1999, 19999},
    {"bicycle", "sports", 19999, 149999},
};
constexpr std::string_view kPayments[] = {"credit_card", "debit_card", "paypal", "apple_pay",
                                          "bank_transfer"};
constexpr uint8_t kNotUtf8[] = {0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x80, 0x7d};

}  // namespace

std::span<const Product> TransactionGenerator::products() { return kProducts; }

TransactionGenerator::TransactionGenerator(const GeneratorOptions& options)
    : Generator(kind_info(Kind::transactions), options),
      rng_(options.seed),
      clock_(options.start_ms, options.step_ms, options.disorder),
      users_(options.users > 0 ? options.users : 100),
      locations_(options.locations) {
  if (locations_ < 1) {
    throw std::invalid_argument("locations must be 1 or more, not " + std::to_string(locations_));
  }
}

void TransactionGenerator::next(GeneratedRecord& out) {
  const int64_t ts = clock_.next(rng_);
  out.timestamp_ms = ts - ts % 1000;
  const uint64_t user = 1 + rng_.below(static_cast<uint64_t>(users_));
  const Product& product = kProducts[rng_.below(std::size(kProducts))];
  // Mostly one item; up to three.
  const uint64_t q = rng_.below(10);
  const int64_t quantity = q < 7 ? 1 : q < 9 ? 2 : 3;
  const int64_t cents = rng_.between(product.min_cents, product.max_cents) * quantity;
  const std::string_view payment = kPayments[rng_.below(std::size(kPayments))];
  const uint64_t location = 1 + rng_.below(static_cast<uint64_t>(locations_));
  ++sequence_;

  out.key.assign("user_");
  append_int(out.key, static_cast<int64_t>(user));
  out.has_key = true;
  out.defect = {};
  const bool bad = rng_.chance(bad_fraction_);
  const uint64_t variant = bad ? rng_.below(4) : 0;
  std::string& v = out.value;
  if (bad && variant == 1) {
    v.assign(reinterpret_cast<const char*>(kNotUtf8), sizeof kNotUtf8);
    out.defect = "not UTF-8 JSON";
    return;
  }
  v.assign(R"({"transaction_id":"txn_)");
  append_int(v, out.timestamp_ms / 1000);
  v.push_back('_');
  append_padded(v, sequence_, 6);
  v.append(R"(","user_id":")");
  v.append(out.key);
  v.append(R"(","product":")");
  v.append(product.name);
  v.append(R"(","category":")");
  v.append(product.category);
  v.push_back('"');
  if (bad && variant == 2) {
    out.defect = "missing amount";
  } else if (bad && variant == 3) {
    v.append(R"(,"amount":"a lot")");
    out.defect = "amount is not a number";
  } else {
    v.append(R"(,"amount":)");
    append_cents(v, cents);
  }
  v.append(R"(,"quantity":)");
  append_int(v, quantity);
  v.append(R"(,"payment_method":")");
  v.append(payment);
  v.append(R"(","timestamp":")");
  append_iso8601(v, out.timestamp_ms, false, false);
  v.append(R"(","location":"city_)");
  append_int(v, static_cast<int64_t>(location));
  v.append("\"}");
  if (bad && variant == 0) {
    v.resize(1 + rng_.below(v.size() - 2));
    out.defect = "corrupt JSON";
  }
}

}  // namespace sluice::generators
