// How often the engine copies a record on its way through a job: a record that the
// operators of a chain only read is never copied (a GeneratorSource lends it, a filter lends
// it on, flat_map's collect(const T&) lends a record the function does not own, a sink
// writes it by reference); a record that a network exchange keeps is copied once, there.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "sluice/generator_source.h"
#include "sluice/sluice.h"

namespace sluice {
namespace {

std::atomic<int64_t> g_copies{0};

// A record that counts its copies (moves are free).
struct Tracked {
  int64_t id = 0;
  std::string payload;

  Tracked() = default;
  Tracked(int64_t i, std::string p) : id(i), payload(std::move(p)) {}
  Tracked(const Tracked& o) : id(o.id), payload(o.payload) { g_copies.fetch_add(1); }
  Tracked& operator=(const Tracked& o) {
    id = o.id;
    payload = o.payload;
    g_copies.fetch_add(1);
    return *this;
  }
  Tracked(Tracked&&) noexcept = default;
  Tracked& operator=(Tracked&&) noexcept = default;
};

// Sums the ids that reach it, without keeping the records.
class SumSink final : public Sink<Tracked> {
 public:
  SumSink(std::shared_ptr<std::atomic<int64_t>> sum, std::shared_ptr<std::atomic<int64_t>> count)
      : sum_(std::move(sum)), count_(std::move(count)) {}
  std::unique_ptr<SinkWriter<Tracked>> create_writer(const SubtaskInfo&) override {
    return std::make_unique<Writer>(sum_, count_);
  }

 private:
  struct Writer final : SinkWriter<Tracked> {
    Writer(std::shared_ptr<std::atomic<int64_t>> s, std::shared_ptr<std::atomic<int64_t>> c)
        : sum(std::move(s)), count(std::move(c)) {}
    void write(const Tracked& t, const SinkContext&) override {
      sum->fetch_add(t.id);
      count->fetch_add(1);
    }
    std::shared_ptr<std::atomic<int64_t>> sum, count;
  };
  std::shared_ptr<std::atomic<int64_t>> sum_, count_;
};

GeneratorSource<Tracked> tracked(uint64_t n) {
  return GeneratorSource<Tracked>::from_index(
      [](uint64_t i) { return Tracked{static_cast<int64_t>(i), "a payload longer than the small-string buffer"}; }, n);
}

constexpr uint64_t kRecords = 10000;
constexpr int64_t kEvenSum = (kRecords / 2) * (kRecords - 2) / 2;  // 0 + 2 + ... + 9998

TEST(RecordCopies, AChainThatOnlyReadsARecordNeverCopiesIt) {
  g_copies = 0;
  auto sum = std::make_shared<std::atomic<int64_t>>(0), count = std::make_shared<std::atomic<int64_t>>(0);
  StreamEnvironment env;
  env.set_parallelism(1);
  env.from_source(tracked(kRecords), WatermarkStrategy<Tracked>::no_watermarks(), "tracked")
      .filter([](const Tracked& t) { return t.id % 2 == 0; })
      .flat_map<Tracked>([](const Tracked& t, Collector<Tracked>& out) { out.collect(t); })
      .sink_to(SumSink(sum, count));
  env.execute("reads only");
  EXPECT_EQ(count->load(), static_cast<int64_t>(kRecords / 2));
  EXPECT_EQ(sum->load(), kEvenSum);
  EXPECT_EQ(g_copies.load(), 0);
}

TEST(RecordCopies, ARecordThatCrossesAnExchangeIsCopiedOnceThere) {
  g_copies = 0;
  auto sum = std::make_shared<std::atomic<int64_t>>(0), count = std::make_shared<std::atomic<int64_t>>(0);
  StreamEnvironment env;
  env.set_parallelism(2);
  env.from_source(tracked(kRecords), WatermarkStrategy<Tracked>::no_watermarks(), "tracked")
      .filter([](const Tracked& t) { return t.id % 2 == 0; })
      .rebalance()
      .filter([](const Tracked& t) { return !t.payload.empty(); })
      .sink_to(SumSink(sum, count));
  env.execute("one exchange");
  EXPECT_EQ(count->load(), static_cast<int64_t>(kRecords / 2));
  EXPECT_EQ(sum->load(), kEvenSum);
  EXPECT_EQ(g_copies.load(), static_cast<int64_t>(kRecords / 2));
}

// A function that wants its own (mutable) record still gets one: a copy.
TEST(RecordCopies, AFlatMapTakingAMutableRecordGetsItsOwnCopy) {
  g_copies = 0;
  auto sum = std::make_shared<std::atomic<int64_t>>(0), count = std::make_shared<std::atomic<int64_t>>(0);
  StreamEnvironment env;
  env.set_parallelism(1);
  env.from_source(tracked(kRecords), WatermarkStrategy<Tracked>::no_watermarks(), "tracked")
      .flat_map<Tracked>([](Tracked& t, Collector<Tracked>& out) {
        t.id *= 2;
        out.collect(std::move(t));
      })
      .sink_to(SumSink(sum, count));
  env.execute("mutable");
  EXPECT_EQ(count->load(), static_cast<int64_t>(kRecords));
  EXPECT_EQ(sum->load(), static_cast<int64_t>(kRecords * (kRecords - 1)));
  EXPECT_EQ(g_copies.load(), static_cast<int64_t>(kRecords));
}

}  // namespace
}  // namespace sluice
