// The click generators.
// ClickGenerator (kind "clicks", job click-count, seed 000): key = userId, value
//   {"userId":"u1","action":"CLICK"} with actions CLICK, VIEW, ADD_TO_CART, users u1..uN
//   (GeneratorOptions::users, default 3 as in the seed). Bad records: truncated JSON,
//   text that is not JSON, JSON without userId. Default bad fraction 0.
// UrlClickGenerator (kind "url-clicks", job click-windows, seed 003): key = userId, value
//   {"ts":1716467696000,"url":"/a","userId":"u7"} with ts the event time in epoch ms, urls
//   /a../e (GeneratorOptions::urls), users u1..u10 by default. Bad records: truncated
//   JSON, a ts that is not a number, JSON without url. Default bad fraction 0.
// Both are `final`, so a caller holding the concrete type calls next() without a virtual
// dispatch (what the engine's in-process source does at millions of records/s).
#pragma once

#include <string>
#include <vector>

#include "generators/event_clock.h"
#include "generators/generator.h"
#include "generators/random.h"

namespace sluice::generators {

class ClickGenerator final : public Generator {
 public:
  explicit ClickGenerator(const GeneratorOptions& options);
  void next(GeneratedRecord& out) override;

 private:
  Random rng_;
  EventClock clock_;
  int users_;
};

class UrlClickGenerator final : public Generator {
 public:
  explicit UrlClickGenerator(const GeneratorOptions& options);
  void next(GeneratedRecord& out) override;
  // The urls this generator draws from, in order (/a, /b, ...).
  const std::vector<std::string>& urls() const { return urls_; }

 private:
  Random rng_;
  EventClock clock_;
  int users_;
  std::vector<std::string> urls_;
};

}  // namespace sluice::generators
