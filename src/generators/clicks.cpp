#include "generators/clicks.h"

#include <stdexcept>
#include <string_view>

#include "generators/kinds.h"
#include "generators/text.h"

namespace sluice::generators {

namespace {

constexpr std::string_view kActions[] = {"CLICK", "VIEW", "ADD_TO_CART"};

void set_user_key(GeneratedRecord& out, uint64_t user) {
  out.key.assign("u");
  append_int(out.key, static_cast<int64_t>(user));
  out.has_key = true;
}

// A strict prefix of a JSON object (at least one byte, at least two bytes short) is never
// valid JSON: the closing brace is missing.
void truncate(std::string& value, Random& rng) {
  value.resize(1 + rng.below(value.size() - 2));
}

}  // namespace

ClickGenerator::ClickGenerator(const GeneratorOptions& options)
    : Generator(kind_info(Kind::clicks), options),
      rng_(options.seed),
      clock_(options.start_ms, options.step_ms, Disorder{}),
      users_(options.users > 0 ? options.users : 3) {}

void ClickGenerator::next(GeneratedRecord& out) {
  out.timestamp_ms = clock_.next(rng_);
  const uint64_t user = 1 + rng_.below(static_cast<uint64_t>(users_));
  const std::string_view action = kActions[rng_.below(3)];
  set_user_key(out, user);
  out.defect = {};
  std::string& v = out.value;
  if (!rng_.chance(bad_fraction_)) {
    v.assign(R"({"userId":")");
    v.append(out.key);
    v.append(R"(","action":")");
    v.append(action);
    v.append("\"}");
    return;
  }
  switch (rng_.below(3)) {
    case 0:
      v.assign(R"({"userId":")");
      v.append(out.key);
      v.append(R"(","action":")");
      v.append(action);
      v.append("\"}");
      truncate(v, rng_);
      out.defect = "corrupt JSON";
      break;
    case 1:
      v.assign("userId=");
      v.append(out.key);
      v.append(" action=");
      v.append(action);
      out.defect = "not JSON";
      break;
    default:
      v.assign(R"({"action":")");
      v.append(action);
      v.append("\"}");
      out.defect = "missing userId";
      break;
  }
}

UrlClickGenerator::UrlClickGenerator(const GeneratorOptions& options)
    : Generator(kind_info(Kind::url_clicks), options),
      rng_(options.seed),
      clock_(options.start_ms, options.step_ms, options.disorder),
      users_(options.users > 0 ? options.users : 10) {
  const int n = options.urls > 0 ? options.urls : 5;
  for (int i = 0; i < n; ++i) {
    urls_.push_back(i < 26 ? std::string("/") + char('a' + i) : "/p" + std::to_string(i + 1));
  }
}

void UrlClickGenerator::next(GeneratedRecord& out) {
  out.timestamp_ms = clock_.next(rng_);
  const uint64_t user = 1 + rng_.below(static_cast<uint64_t>(users_));
  const std::string& url = urls_[rng_.below(urls_.size())];
  set_user_key(out, user);
  out.defect = {};
  std::string& v = out.value;
  const bool bad = rng_.chance(bad_fraction_);
  const uint64_t variant = bad ? rng_.below(3) : 0;
  v.assign(R"({"ts":)");
  if (bad && variant == 1) {
    v.append(R"("soon")");
    out.defect = "ts is not a number";
  } else {
    append_int(v, out.timestamp_ms);
  }
  if (!(bad && variant == 2)) {
    v.append(R"(,"url":")");
    v.append(url);
    v.push_back('"');
  } else {
    out.defect = "missing url";
  }
  v.append(R"(,"userId":")");
  v.append(out.key);
  v.append("\"}");
  if (bad && variant == 0) {
    truncate(v, rng_);
    out.defect = "corrupt JSON";
  }
}

}  // namespace sluice::generators
