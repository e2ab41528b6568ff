// The generators: determinism per seed, the seeds' shapes (JSON parses, fields and ranges),
// the bad fraction within a tolerance, disorder, and frames that decode back to their
// stated resolution and grey level. (Suites are named generators* so that
// `ctest -R generat` selects them.)
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "generators/clicks.h"
#include "generators/frames.h"
#include "generators/generator.h"
#include "generators/jpeg.h"
#include "generators/numbers.h"
#include "generators/pacer.h"
#include "generators/random.h"
#include "generators/text.h"
#include "generators/transactions.h"

namespace sluice::generators {
namespace {

using nlohmann::json;

std::vector<GeneratedRecord> take(std::string_view kind, const GeneratorOptions& o, int n) {
  auto g = make_generator(kind, o);
  std::vector<GeneratedRecord> out(n);
  for (auto& r : out) g->next(r);
  return out;
}

GeneratorOptions seeded(uint64_t seed, double bad = -1) {
  GeneratorOptions o;
  o.seed = seed;
  o.bad_fraction = bad;
  o.resolutions = {{64, 48}, {160, 120}};  // small frames keep the tests quick
  return o;
}

// Decodes standard base64 (with padding); false on a character outside the alphabet.
bool decode_base64(std::string_view in, std::vector<uint8_t>& out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  out.clear();
  if (in.size() % 4 != 0) return false;
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      if (in[i + j] == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
      } else if ((v[j] = value(in[i + j])) < 0) {
        return false;
      }
    }
    const uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<uint8_t>(n >> 16));
    if (pad < 2) out.push_back(static_cast<uint8_t>(n >> 8));
    if (pad < 1) out.push_back(static_cast<uint8_t>(n));
  }
  return true;
}

const char* const kAllKinds[] = {"clicks", "url-clicks", "numbers", "orders", "transactions",
                                 "frames"};

TEST(generators, EveryKindIsDeterministicPerSeed) {
  for (const char* kind : kAllKinds) {
    SCOPED_TRACE(kind);
    const auto a = take(kind, seeded(7, 0.2), 300);
    const auto b = take(kind, seeded(7, 0.2), 300);
    const auto c = take(kind, seeded(8, 0.2), 300);
    bool any_difference = false;
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a[i].value, b[i].value) << "record " << i;
      ASSERT_EQ(a[i].key, b[i].key);
      ASSERT_EQ(a[i].has_key, b[i].has_key);
      ASSERT_EQ(a[i].timestamp_ms, b[i].timestamp_ms);
      ASSERT_EQ(a[i].defect, b[i].defect);
      any_difference |= a[i].value != c[i].value;
    }
    EXPECT_TRUE(any_difference) << "another seed gave the same records";
  }
}

TEST(generators, KnownSequenceForSeed7StaysTheSame) {
  // Pinned so that a change to the draws (which changes every job test's input) is noticed.
  const auto r = take("clicks", seeded(7), 3);
  EXPECT_EQ(r[0].value, R"({"userId":"u3","action":"CLICK"})");
  EXPECT_EQ(r[1].value, R"({"userId":"u3","action":"ADD_TO_CART"})");
  EXPECT_EQ(r[2].value, R"({"userId":"u3","action":"ADD_TO_CART"})");
  EXPECT_EQ(r[0].timestamp_ms, kSeedEpochMs);
  EXPECT_EQ(r[1].timestamp_ms, kSeedEpochMs + 100);
}

TEST(generators, KindsAndJobNamesResolve) {
  EXPECT_EQ(find_kind("click-count")->name, "clicks");
  EXPECT_EQ(find_kind("click-windows")->name, "url-clicks");
  EXPECT_EQ(find_kind("pair-sum")->default_topic, "raw-topic");
  EXPECT_EQ(find_kind("video-frames")->default_topic, "video_frames");
  EXPECT_EQ(find_kind("nope"), nullptr);
  try {
    make_generator("nope", {});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("clicks (click-count)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(kinds().size(), 7u);
  EXPECT_EQ(find_kind("nexmark")->default_topic, "nexmark");
  for (const auto& k : kinds()) EXPECT_EQ(make_generator(k.name, seeded(1))->kind().name, k.name);
}

TEST(generators, GoodRecordsParseAndBadOnesSayWhy) {
  for (const char* kind : {"clicks", "url-clicks", "transactions", "frames"}) {
    SCOPED_TRACE(kind);
    for (const auto& r : take(kind, seeded(3, 0.3), 2000)) {
      const bool parses = json::accept(r.value);
      if (!r.bad()) {
        ASSERT_TRUE(parses) << r.value;
      } else if (r.defect == "corrupt JSON" || r.defect == "not JSON" ||
                 r.defect == "not UTF-8 JSON") {
        ASSERT_FALSE(parses) << r.value;
      } else {
        ASSERT_TRUE(parses) << r.defect << ": " << r.value;  // valid JSON, wrong content
      }
    }
  }
}

TEST(generators, BadFractionIsRespected) {
  struct Case {
    const char* kind;
    double fraction;
  };
  for (const auto& [kind, fraction] :
       {Case{"numbers", -1}, Case{"numbers", 0.05}, Case{"clicks", 0.02}, Case{"orders", 0.1},
        Case{"transactions", 0.01}, Case{"url-clicks", 0.0}, Case{"clicks", -1}}) {
    SCOPED_TRACE(std::string(kind) + " " + std::to_string(fraction));
    const int n = 100000;
    auto g = make_generator(kind, seeded(11, fraction));
    const double expected = g->bad_fraction();
    GeneratedRecord r;
    int bad = 0;
    for (int i = 0; i < n; ++i) {
      g->next(r);
      bad += r.bad();
    }
    // Binomial: 5 standard deviations, and exactly 0 when the fraction is 0.
    const double sd = std::sqrt(n * expected * (1 - expected));
    EXPECT_NEAR(bad, n * expected, 5 * sd + 1e-9);
  }
  EXPECT_DOUBLE_EQ(find_kind("numbers")->default_bad_fraction, 0.01);
  EXPECT_DOUBLE_EQ(find_kind("clicks")->default_bad_fraction, 0.0);
}

TEST(generators, ClicksHaveTheSeedShape) {
  GeneratorOptions o = seeded(5);
  o.users = 4;
  std::map<std::string, int> users;
  std::set<std::string> actions;
  for (const auto& r : take("clicks", o, 5000)) {
    const auto j = json::parse(r.value);
    ASSERT_EQ(j.size(), 2u);
    ASSERT_TRUE(r.has_key);
    EXPECT_EQ(j.at("userId").get<std::string>(), r.key);
    users[r.key]++;
    actions.insert(j.at("action").get<std::string>());
  }
  EXPECT_EQ(users.size(), 4u);
  EXPECT_TRUE(users.contains("u1") && users.contains("u4"));
  EXPECT_EQ(actions, (std::set<std::string>{"CLICK", "VIEW", "ADD_TO_CART"}));
}

TEST(generators, UrlClicksCarryTheirEventTime) {
  GeneratorOptions o = seeded(5);
  o.urls = 3;
  std::set<std::string> urls;
  int64_t last = 0;
  for (const auto& r : take("url-clicks", o, 3000)) {
    const auto j = json::parse(r.value);
    EXPECT_EQ(j.at("ts").get<int64_t>(), r.timestamp_ms);
    EXPECT_EQ(j.at("userId").get<std::string>(), r.key);
    EXPECT_GT(r.timestamp_ms, last);  // no disorder asked: strictly in order
    last = r.timestamp_ms;
    urls.insert(j.at("url").get<std::string>());
  }
  EXPECT_EQ(urls, (std::set<std::string>{"/a", "/b", "/c"}));
}

TEST(generators, NumbersAreInRangeUnlessBad) {
  GeneratorOptions o = seeded(9, 0.1);
  o.pair_sum = 20;
  std::set<int64_t> seen;
  std::map<std::string_view, int> defects;
  for (const auto& r : take("numbers", o, 20000)) {
    EXPECT_FALSE(r.has_key);
    size_t used = 0;
    int64_t n = -1;
    bool integer = false;
    try {
      n = std::stoll(r.value, &used);
      integer = used == r.value.size() && !r.value.empty();
    } catch (const std::exception&) {
    }
    const bool in_range = integer && n >= 0 && n <= 20;
    if (r.bad()) {
      EXPECT_FALSE(in_range) << r.value;
      defects[r.defect]++;
    } else {
      ASSERT_TRUE(in_range) << r.value;
      seen.insert(n);
    }
  }
  EXPECT_EQ(seen.size(), 21u);  // every value 0..20 appears
  EXPECT_GT(defects["out of range"], 0);
  EXPECT_GT(defects["not an integer"], 0);
}

TEST(generators, OrdersHaveTheSeedShape) {
  const std::regex shape(
      "customer=(customer-[0-9]{3}),status=(CREATED|PAID|SHIPPED|DELIVERED|CANCELLED),"
      "region=(eu-west|eu-central|us-east|us-west|ap-south),amount=([0-9]+\\.[0-9]{2}),"
      "ts=([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)");
  int bad = 0;
  for (const auto& r : take("orders", seeded(4, 0.05), 5000)) {
    std::smatch m;
    const bool ok = std::regex_match(r.value, m, shape);
    if (r.bad()) {
      EXPECT_FALSE(ok) << r.value;
      ++bad;
      continue;
    }
    ASSERT_TRUE(ok) << r.value;
    EXPECT_EQ(m[1].str(), r.key);
    const double amount = std::stod(m[4].str());
    EXPECT_GE(amount, 1.0);
    EXPECT_LE(amount, 500.0);
    EXPECT_EQ(r.timestamp_ms % 1000, 0);
  }
  EXPECT_GT(bad, 0);
  // The first record's ts is the seed's own example instant.
  EXPECT_NE(take("orders", seeded(4), 1)[0].value.find("ts=2024-05-23T12:34:56Z"),
            std::string::npos);
}

TEST(generators, DisorderMakesLateAndOutOfOrderTimes) {
  GeneratorOptions o = seeded(2);
  o.step_ms = 1000;
  o.disorder.out_of_order_fraction = 0.2;
  o.disorder.max_out_of_order_ms = 5000;
  o.disorder.late_fraction = 0.05;
  o.disorder.late_by_ms = 60000;
  const int n = 10000;
  const auto records = take("orders", o, n);
  int late = 0;
  int behind = 0;
  for (int i = 0; i < n; ++i) {
    const int64_t clock = kSeedEpochMs + int64_t{i} * 1000;
    const int64_t lag = clock - records[i].timestamp_ms;
    ASSERT_GE(lag, 0);
    if (lag == 60000) {
      ++late;
    } else if (lag > 0) {
      ASSERT_LE(lag, 5000);
      ++behind;
    }
  }
  EXPECT_NEAR(late, 0.05 * n, 5 * std::sqrt(n * 0.05 * 0.95));
  // Out-of-order records shifted by less than a second keep their whole second.
  EXPECT_GT(behind, 0.1 * n);
  EXPECT_LT(behind, 0.2 * n);
}

TEST(generators, TransactionsHaveTheSeedFields) {
  std::set<std::string> ids;
  int over_100 = 0, over_500 = 0;
  std::map<std::string, std::string> category_of;
  for (const auto& p : TransactionGenerator::products()) category_of[std::string(p.name)] = p.category;
  const std::regex local_time("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}");
  for (const auto& r : take("transactions", seeded(6), 5000)) {
    const auto j = json::parse(r.value);
    std::vector<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
    std::sort(keys.begin(), keys.end());
    EXPECT_EQ(keys, (std::vector<std::string>{"amount", "category", "location", "payment_method",
                                              "product", "quantity", "timestamp",
                                              "transaction_id", "user_id"}));
    EXPECT_EQ(j["user_id"].get<std::string>(), r.key);
    EXPECT_EQ(category_of.at(j["product"].get<std::string>()), j["category"].get<std::string>());
    EXPECT_TRUE(ids.insert(j["transaction_id"].get<std::string>()).second);
    const double amount = j["amount"].get<double>();
    over_100 += amount > 100;
    over_500 += amount > 500;
    EXPECT_GE(j["quantity"].get<int>(), 1);
    EXPECT_TRUE(std::regex_match(j["timestamp"].get<std::string>(), local_time));
  }
  EXPECT_GT(over_100, 500);
  EXPECT_GT(over_500, 100);
  EXPECT_LT(over_500, 4000);
}

TEST(generators, FramesDecodeToTheirResolutionAndGreyLevel) {
  GeneratorOptions o = seeded(12);
  o.resolutions = {{320, 240}, {640, 480}, {1280, 720}};
  auto g = make_generator("frames", o);
  GeneratedRecord r;
  std::set<std::pair<int, int>> sizes;
  int uniform = 0, gradient = 0;
  std::vector<uint8_t> jpeg, luma;
  for (int i = 0; i < 60; ++i) {
    g->next(r);
    const auto j = json::parse(r.value);
    ASSERT_TRUE(decode_base64(j["frame_data"].get<std::string>(), jpeg));
    EXPECT_EQ(j["frame_size_bytes"].get<size_t>(), jpeg.size());
    EXPECT_EQ(j["frame_channels"].get<int>(), 3);
    EXPECT_EQ(j["source"].get<std::string>(), r.key);
    JpegInfo info;
    ASSERT_EQ(decode_jpeg_luma(jpeg, info, luma), "");
    EXPECT_EQ(info.width, j["frame_width"].get<int>());
    EXPECT_EQ(info.height, j["frame_height"].get<int>());
    sizes.insert({info.width, info.height});
    double sum = 0;
    for (uint8_t v : luma) sum += v;
    const double mean = sum / static_cast<double>(luma.size());
    if (j["metadata"]["pattern"] == "uniform") {
      ++uniform;
      const int level = j["metadata"]["level"].get<int>();
      EXPECT_NEAR(mean, level, level * 0.01) << "uniform grey " << level;  // within 1%
      for (uint8_t v : luma) ASSERT_NEAR(v, level, 2);
    } else {
      ++gradient;
      EXPECT_NEAR(mean, 127.5, 3.0);
      EXPECT_LT(luma.front(), 10);
      EXPECT_GT(luma[info.width - 1], 245);
    }
  }
  EXPECT_EQ(sizes.size(), 3u);
  EXPECT_GT(uniform, 0);
  EXPECT_GT(gradient, 0);
}

TEST(generators, BadFramesFailWhereTheySay) {
  auto g = make_generator("frames", seeded(13, 1.0));
  GeneratedRecord r;
  std::set<std::string_view> seen;
  std::vector<uint8_t> jpeg, luma;
  for (int i = 0; i < 60; ++i) {
    g->next(r);
    ASSERT_TRUE(r.bad());
    seen.insert(r.defect);
    if (r.defect == "corrupt JSON") {
      EXPECT_FALSE(json::accept(r.value));
      continue;
    }
    const auto j = json::parse(r.value);
    const bool b64 = decode_base64(j["frame_data"].get<std::string>(), jpeg);
    if (r.defect == "frame_data is not base64") {
      EXPECT_FALSE(b64);
    } else {
      ASSERT_EQ(r.defect, "truncated JPEG");
      ASSERT_TRUE(b64);
      JpegInfo info;
      EXPECT_NE(decode_jpeg_luma(jpeg, info, luma), "");
    }
  }
  EXPECT_EQ(seen.size(), 3u);
}

TEST(generators, FramesFromAFolder) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("sluice-frames-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::vector<uint8_t> pixels(40 * 30, 200), jpeg;
  ASSERT_EQ(encode_jpeg(pixels, 40, 30, 1, 90, jpeg), "");
  std::ofstream(dir / "a.jpg", std::ios::binary)
      .write(reinterpret_cast<const char*>(jpeg.data()), static_cast<std::streamsize>(jpeg.size()));
  std::ofstream(dir / "notes.txt") << "not a frame";
  GeneratorOptions o = seeded(1);
  o.frames_dir = dir.string();
  GeneratedRecord r;
  make_generator("frames", o)->next(r);
  const auto j = json::parse(r.value);
  EXPECT_EQ(j["frame_width"], 40);
  EXPECT_EQ(j["frame_height"], 30);
  EXPECT_EQ(j["metadata"]["file"], "a.jpg");
  EXPECT_EQ(j["frame_size_bytes"].get<size_t>(), jpeg.size());

  std::ofstream(dir / "broken.jpeg") << "not a jpeg";
  EXPECT_THROW(make_generator("frames", o), std::invalid_argument);
  o.frames_dir = (dir / "missing").string();
  EXPECT_THROW(make_generator("frames", o), std::invalid_argument);
  std::filesystem::remove_all(dir);
}

TEST(generators, NextReusesTheRecordsBuffers) {
  ClickGenerator g(seeded(1));
  GeneratedRecord r;
  for (int i = 0; i < 100; ++i) g.next(r);
  const char* value = r.value.data();
  const char* key = r.key.data();
  for (int i = 0; i < 10000; ++i) g.next(r);
  // Clicks values fit the capacity the first ones grew to: no reallocation.
  EXPECT_EQ(r.value.data(), value);
  EXPECT_EQ(r.key.data(), key);
}

TEST(generators, OptionsOutOfRangeAreRefused) {
  GeneratorOptions o;
  o.bad_fraction = 1.5;
  EXPECT_THROW(make_generator("clicks", o), std::invalid_argument);
  o = {};
  o.pair_sum = -1;
  EXPECT_THROW(make_generator("numbers", o), std::invalid_argument);
  o = {};
  o.pattern = "plaid";
  EXPECT_THROW(make_generator("frames", o), std::invalid_argument);
  o = {};
  o.resolutions = {{0, 10}};
  EXPECT_THROW(make_generator("frames", o), std::invalid_argument);
}

TEST(generators_text, FormatsNumbersTimesAndBase64) {
  std::string s;
  append_cents(s, 8840);
  s += ' ';
  append_cents(s, 5);
  s += ' ';
  append_cents(s, -105);
  EXPECT_EQ(s, "88.40 0.05 -1.05");
  s.clear();
  append_iso8601(s, kSeedEpochMs + 789, true, true);
  EXPECT_EQ(s, "2024-05-23T12:34:56.789Z");
  s.clear();
  append_iso8601(s, 951782400000, false, false);  // a leap day
  EXPECT_EQ(s, "2000-02-29T00:00:00");
  int64_t ms = 0;
  ASSERT_TRUE(parse_iso8601("2024-05-23T12:34:56Z", ms));
  EXPECT_EQ(ms, kSeedEpochMs);
  ASSERT_TRUE(parse_iso8601("2024-05-23T12:34:56.789123", ms));
  EXPECT_EQ(ms, kSeedEpochMs + 789);
  ASSERT_TRUE(parse_iso8601("2000-02-29T00:00:00", ms));
  EXPECT_EQ(ms, 951782400000);
  for (const char* bad : {"", "2024-05-23", "2024-05-23T12:34:56+02:00", "2024-13-01T00:00:00",
                          "2024-05-23T12:34:56.", "yesterday"}) {
    EXPECT_FALSE(parse_iso8601(bad, ms)) << bad;
  }
  for (const auto& [in, out] : std::vector<std::pair<std::string, std::string>>{
           {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}}) {
    s.clear();
    append_base64(s, std::span(reinterpret_cast<const uint8_t*>(in.data()), in.size()));
    EXPECT_EQ(s, out);
  }
}

TEST(generators_random, BelowIsUniformAndDeterministic) {
  Random a(42), b(42);
  std::vector<int> counts(10);
  for (int i = 0; i < 100000; ++i) {
    const auto x = a.below(10);
    ASSERT_EQ(x, b.below(10));
    counts[x]++;
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
  EXPECT_FALSE(a.chance(0));
  EXPECT_TRUE(a.chance(1));
}

TEST(generators_pacer, HandsOutTokensAtTheRate) {
  using Clock = RatePacer::Clock;
  const auto t0 = Clock::time_point{} + std::chrono::hours(1);
  RatePacer pacer(100, 5, t0);  // 100/s, bursts of 5
  Clock::duration wait{};
  EXPECT_TRUE(pacer.try_acquire(t0, wait));
  EXPECT_FALSE(pacer.try_acquire(t0, wait));
  EXPECT_NEAR(std::chrono::duration<double>(wait).count(), 0.01, 1e-6);
  // One simulated second: 100 more tokens, whatever the polling granularity.
  int granted = 0;
  for (int ms = 1; ms <= 1000; ++ms) {
    while (pacer.try_acquire(t0 + std::chrono::milliseconds(ms), wait)) ++granted;
  }
  EXPECT_NEAR(granted, 100, 1);
  // After a stall, at most `burst` at once.
  granted = 0;
  while (pacer.try_acquire(t0 + std::chrono::seconds(10), wait)) ++granted;
  EXPECT_EQ(granted, 5);
  RatePacer unpaced(0);
  EXPECT_TRUE(unpaced.try_acquire(Clock::now(), wait));
}

}  // namespace
}  // namespace sluice::generators
