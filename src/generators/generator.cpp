#include "generators/generator.h"

#include <stdexcept>

#include "generators/clicks.h"
#include "generators/frames.h"
#include "generators/kinds.h"
#include "generators/nexmark.h"
#include "generators/numbers.h"
#include "generators/orders.h"
#include "generators/transactions.h"

namespace sluice::generators {

namespace {

// Indexed by Kind.
constexpr KindInfo kKinds[] = {
    {"clicks", "click-count", "input-topic", 1, 0.0, true,
     R"(user actions {"userId":"u1","action":"CLICK"} (seed 000))"},
    {"url-clicks", "click-windows", "clicks", 3, 0.0, true,
     R"(page clicks with event time {"ts":...,"url":"/a","userId":"u7"} (seed 003))"},
    {"numbers", "pair-sum", "raw-topic", 1, 0.01, false,
     "integers 0..pair-sum as text, with occasional out-of-range and non-numeric values "
     "(seed 001)"},
    {"orders", "order-aggregates", "partitioned-topic", 3, 0.0, true,
     "order snapshots customer=...,status=...,region=...,amount=...,ts=... (seed 002)"},
    {"transactions", "transactions", "transactions", 3, 0.0, true,
     "e-commerce transactions as JSON (seed 004)"},
    {"frames", "video-frames", "video_frames", 1, 0.0, true,
     "video frames as JSON with a base64 JPEG (seed 004)"},
    {"nexmark", "nexmark", "nexmark", 1, 0.0, false,
     "Nexmark benchmark events (persons, auctions, bids 1:3:46) as JSON, for the nexmark-q* jobs"},
};

}  // namespace

const KindInfo& kind_info(Kind kind) { return kKinds[static_cast<size_t>(kind)]; }

std::span<const KindInfo> kinds() { return kKinds; }

const KindInfo* find_kind(std::string_view name) {
  for (const auto& k : kKinds) {
    if (k.name == name || k.job == name) return &k;
  }
  return nullptr;
}

Generator::Generator(const KindInfo& kind, const GeneratorOptions& options)
    : kind_(&kind),
      bad_fraction_(options.bad_fraction < 0 ? kind.default_bad_fraction : options.bad_fraction) {
  if (bad_fraction_ > 1) {
    throw std::invalid_argument("bad fraction must be between 0 and 1, not " +
                                std::to_string(bad_fraction_));
  }
  if (options.step_ms < 0) {
    throw std::invalid_argument("the event-time step must be 0 ms or more");
  }
  const auto& d = options.disorder;
  if (d.out_of_order_fraction < 0 || d.out_of_order_fraction > 1 || d.late_fraction < 0 ||
      d.late_fraction > 1) {
    throw std::invalid_argument("out-of-order and late fractions must be between 0 and 1");
  }
  if (d.max_out_of_order_ms < 0 || d.late_by_ms < 0) {
    throw std::invalid_argument("out-of-order and late distances must be 0 ms or more");
  }
  if (options.users < 0) {
    throw std::invalid_argument("users must be 1 or more (0: the kind's default)");
  }
}

std::unique_ptr<Generator> make_generator(std::string_view kind, const GeneratorOptions& options) {
  const KindInfo* info = find_kind(kind);
  if (info == nullptr) {
    std::string known;
    for (const auto& k : kKinds) {
      known += (known.empty() ? "" : ", ") + std::string(k.name) + " (" + std::string(k.job) + ")";
    }
    throw std::invalid_argument("unknown generator kind '" + std::string(kind) +
                                "': use one of " + known);
  }
  switch (static_cast<Kind>(info - kKinds)) {
    case Kind::clicks:
      return std::make_unique<ClickGenerator>(options);
    case Kind::url_clicks:
      return std::make_unique<UrlClickGenerator>(options);
    case Kind::numbers:
      return std::make_unique<NumberGenerator>(options);
    case Kind::orders:
      return std::make_unique<OrderGenerator>(options);
    case Kind::transactions:
      return std::make_unique<TransactionGenerator>(options);
    case Kind::frames:
      return std::make_unique<FrameGenerator>(options);
    case Kind::nexmark:
      return std::make_unique<NexmarkJsonGenerator>(options);
  }
  throw std::logic_error("generator kind table and Kind out of step");
}

}  // namespace sluice::generators
