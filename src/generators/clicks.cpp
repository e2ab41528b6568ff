#include "generators/clicks.h"

#include <charconv>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include "generators/kinds.h"

namespace sluice::generators {

namespace {

constexpr std::string_view kActions[] = {"CLICK", "VIEW", "ADD_TO_CART"};

// A short record composed in place. The longest click value is under 100 bytes (a 20-digit
// ts, a url /p2147483647 at most, a 10-digit user), far from the capacity.
struct StackText {
  char data[256];
  size_t size = 0;
  void put(std::string_view s) {
    std::memcpy(data + size, s.data(), s.size());
    size += s.size();
  }
  void put_int(int64_t v) { size = static_cast<size_t>(std::to_chars(data + size, data + sizeof data, v).ptr - data); }
};

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
  // Composed on the stack, then one copy into each of the caller's strings: the std::string
  // appends this replaces cost three times as much (bench_generators).
  char key[24];
  key[0] = 'u';
  const size_t key_size =
      static_cast<size_t>(std::to_chars(key + 1, key + sizeof key, user).ptr - key);
  out.key.assign(key, key_size);
  out.has_key = true;
  out.defect = {};
  const bool bad = rng_.chance(bad_fraction_);
  const uint64_t variant = bad ? rng_.below(3) : 0;
  StackText v;
  if (!bad || variant == 0) {
    v.put(R"({"userId":")");
    v.put({key, key_size});
    v.put(R"(","action":")");
    v.put(action);
    v.put("\"}");
    if (bad) {
      v.size = 1 + rng_.below(v.size - 2);  // a strict prefix: never valid JSON
      out.defect = "corrupt JSON";
    }
  } else if (variant == 1) {
    v.put("userId=");
    v.put({key, key_size});
    v.put(" action=");
    v.put(action);
    out.defect = "not JSON";
  } else {
    v.put(R"({"action":")");
    v.put(action);
    v.put("\"}");
    out.defect = "missing userId";
  }
  out.value.assign(v.data, v.size);
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
  char key[24];
  key[0] = 'u';
  const size_t key_size =
      static_cast<size_t>(std::to_chars(key + 1, key + sizeof key, user).ptr - key);
  out.key.assign(key, key_size);
  out.has_key = true;
  out.defect = {};
  const bool bad = rng_.chance(bad_fraction_);
  const uint64_t variant = bad ? rng_.below(3) : 0;
  StackText v;
  v.put(R"({"ts":)");
  if (bad && variant == 1) {
    v.put(R"("soon")");
    out.defect = "ts is not a number";
  } else {
    v.put_int(out.timestamp_ms);
  }
  if (!(bad && variant == 2)) {
    v.put(R"(,"url":")");
    v.put(url);
    v.put("\"");
  } else {
    out.defect = "missing url";
  }
  v.put(R"(,"userId":")");
  v.put({key, key_size});
  v.put("\"}");
  if (bad && variant == 0) {
    v.size = 1 + rng_.below(v.size - 2);
    out.defect = "corrupt JSON";
  }
  out.value.assign(v.data, v.size);
}

}  // namespace sluice::generators
