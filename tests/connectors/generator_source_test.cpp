#include "sluice/generator_source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "collecting_output.h"
#include "sluice/seed_generators.h"

namespace sluice {
namespace {

template <class T>
std::vector<std::vector<T>> run(Source<T>& source, int parallelism) {
  std::vector<std::vector<T>> per_subtask;
  for (int i = 0; i < parallelism; ++i) {
    auto reader = source.create_reader(SubtaskInfo{"gen", i, parallelism, 128});
    reader->open();
    test::CollectingOutput<T> out;
    EXPECT_TRUE(test::poll_to_end(*reader, out));
    EXPECT_EQ(out.finished, std::set<int>{0});
    reader->close();
    per_subtask.push_back(out.values());
  }
  return per_subtask;
}

TEST(GeneratorSource, IndexFunctionSpreadsIndicesOverSubtasks) {
  auto source = GeneratorSource<uint64_t>::from_index([](uint64_t i) { return i * 10; }, 10);
  EXPECT_TRUE(source.bounded());
  const auto one = run(source, 1);
  ASSERT_EQ(one[0].size(), 10u);
  EXPECT_EQ(one[0][3], 30u);
  const auto three = run(source, 3);
  EXPECT_EQ(three[0], (std::vector<uint64_t>{0, 30, 60, 90}));
  EXPECT_EQ(three[1], (std::vector<uint64_t>{10, 40, 70}));
  EXPECT_EQ(three[2], (std::vector<uint64_t>{20, 50, 80}));
}

TEST(GeneratorSource, FactoryGetsItsSubtaskAndTheCountIsSplit) {
  auto source = GeneratorSource<std::pair<int, int>>::from_factory(
      [](const SubtaskInfo& t) {
        return [index = t.index, n = 0](std::pair<int, int>& out, Timestamp& ts) mutable {
          out = {index, n};
          ts = 1000 + n++;
          return true;
        };
      },
      7);
  const auto got = run(source, 3);
  EXPECT_EQ(got[0].size(), 3u);
  EXPECT_EQ(got[1].size(), 2u);
  EXPECT_EQ(got[2].size(), 2u);
  EXPECT_EQ(got[1][1], (std::pair<int, int>{1, 1}));
}

TEST(GeneratorSource, AProducerThatRunsDryEndsTheSource) {
  auto source = GeneratorSource<int>::from_factory([](const SubtaskInfo&) {
    return [n = 0](int& out, Timestamp& ts) mutable {
      if (n == 5) return false;
      out = n++;
      ts = kNoTimestamp;
      return true;
    };
  });
  EXPECT_FALSE(source.bounded());
  auto reader = source.create_reader(SubtaskInfo{});
  test::CollectingOutput<int> out;
  ASSERT_TRUE(test::poll_to_end(*reader, out));
  EXPECT_EQ(out.values(), (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(GeneratorSource, UnboundedKeepsGoing) {
  auto source = GeneratorSource<int>::from_index([](uint64_t i) { return static_cast<int>(i); });
  auto reader = source.create_reader(SubtaskInfo{});
  test::CollectingOutput<int> out;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(reader->poll(out), SourceStatus::more_available);
  EXPECT_EQ(out.records.size(), 5000u);
}

TEST(GeneratorSource, RateLimitSpreadsRecordsOverTime) {
  // 400 records/s over 2 subtasks = 200/s each: 60 records take at least ~0.25 s
  // (a tenth of a second of burst). Only the lower bound is checked.
  auto source =
      GeneratorSource<int>::from_index([](uint64_t i) { return static_cast<int>(i); }, 120);
  source.rate(400);
  const auto start = std::chrono::steady_clock::now();
  auto reader = source.create_reader(SubtaskInfo{"gen", 0, 2, 128});
  test::CollectingOutput<int> out;
  ASSERT_TRUE(test::poll_to_end(*reader, out));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(out.records.size(), 60u);
  EXPECT_GE(seconds, 0.2);
}

TEST(TokenBucket, RefillsAtTheRateUpToABurst) {
  using namespace std::chrono;
  const auto t0 = TokenBucket::Clock::now();
  TokenBucket b(100, t0);
  EXPECT_EQ(b.take(10, t0), 1u);  // starts with one token
  EXPECT_EQ(b.take(10, t0), 0u);
  EXPECT_EQ(b.take(100, t0 + milliseconds(50)), 5u);
  EXPECT_EQ(b.take(100, t0 + seconds(10)), 10u);  // burst: a tenth of a second
  EXPECT_GT(b.wait(), TokenBucket::Clock::duration::zero());
  TokenBucket unlimited(0);
  EXPECT_EQ(unlimited.take(1000), 1000u);
}

TEST(SeedGeneratorSource, InterleaveGivesTheSameRecordsAtAnyParallelism) {
  generators::GeneratorOptions options;
  options.seed = 7;
  auto source = seed_generator_source("clicks", options, 100);
  const auto one = run(source, 1)[0];
  ASSERT_EQ(one.size(), 100u);
  const auto three = run(source, 3);
  std::vector<std::string> merged;
  for (size_t i = 0; i < 100; ++i) merged.push_back(three[i % 3][i / 3].value);
  std::vector<std::string> expected;
  for (const auto& r : one) expected.push_back(r.value);
  EXPECT_EQ(merged, expected);
  EXPECT_THROW(seed_generator_source("no-such-kind", options), std::invalid_argument);
}

TEST(SeedGeneratorSource, IndependentSubtasksDrawTheirOwnRecords) {
  generators::GeneratorOptions options;
  auto source = seed_generator_source("numbers", options, 20, 0, GeneratorSplit::independent);
  const auto two = run(source, 2);
  ASSERT_EQ(two[0].size(), 10u);
  ASSERT_EQ(two[1].size(), 10u);
  std::vector<std::string> a, b;
  for (const auto& r : two[0]) a.push_back(r.value);
  for (const auto& r : two[1]) b.push_back(r.value);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace sluice
