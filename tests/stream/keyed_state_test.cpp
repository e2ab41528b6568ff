// The heap keyed state backend: each state kind scoped to the current key, and TTL in
// processing time.
#include <gtest/gtest.h>

#include "sluice/sluice.h"
#include "stream/state/heap_keyed_state.h"

namespace sluice {
namespace {

struct SumAgg final : AggregateFunction<int, std::pair<int, int>, double> {
  std::pair<int, int> create_accumulator() const override { return {0, 0}; }
  void add(const int& v, std::pair<int, int>& acc) const override { acc.first += v; ++acc.second; }
  double get_result(const std::pair<int, int>& acc) const override { return double(acc.first) / acc.second; }
};

TEST(KeyedState, EveryKindIsScopedToTheCurrentKey) {
  ManualClock clock;
  state::HeapKeyedStateBackend<std::string> backend(&clock);
  auto value = backend.value_state(ValueStateDescriptor<int>{"v"});
  auto list = backend.list_state(ListStateDescriptor<int>{"l"});
  auto map = backend.map_state(MapStateDescriptor<std::string, int>{"m"});
  auto reducing = backend.reducing_state(
      ReducingStateDescriptor<int>{"r", [](const int& a, const int& b) { return a + b; }});
  auto aggregating = backend.aggregating_state(
      AggregatingStateDescriptor<int, std::pair<int, int>, double>{"a", std::make_shared<SumAgg>()});

  std::string a = "a", b = "b";
  backend.set_current_key(&a);
  EXPECT_FALSE(value.value());
  value.update(1);
  list.add(1);
  list.add(2);
  map.put("x", 7);
  reducing.add(3);
  reducing.add(4);
  aggregating.add(2);
  aggregating.add(4);

  backend.set_current_key(&b);
  EXPECT_FALSE(value.value());
  EXPECT_TRUE(list.get().empty());
  EXPECT_FALSE(map.contains("x"));
  EXPECT_FALSE(reducing.get());
  EXPECT_FALSE(aggregating.get());
  value.update(2);

  backend.set_current_key(&a);
  EXPECT_EQ(value.value(), 1);
  EXPECT_EQ(list.get(), (std::vector<int>{1, 2}));
  EXPECT_EQ(map.get("x"), 7);
  EXPECT_EQ(reducing.get(), 7);
  EXPECT_DOUBLE_EQ(*aggregating.get(), 3.0);
  map.remove("x");
  EXPECT_TRUE(map.is_empty());
  value.clear();
  EXPECT_FALSE(value.value());
  EXPECT_EQ(backend.entries("v"), 1u);  // b's
}

TEST(KeyedState, RegisteringOneNameWithTwoTypesIsAnError) {
  ManualClock clock;
  state::HeapKeyedStateBackend<int> backend(&clock);
  backend.value_state(ValueStateDescriptor<int>{"x"});
  EXPECT_THROW(backend.value_state(ValueStateDescriptor<std::string>{"x"}), std::logic_error);
}

TEST(KeyedState, TtlExpiresEntriesNotWrittenWithinIt) {
  ManualClock clock(1000);
  state::HeapKeyedStateBackend<int> backend(&clock);
  auto value = backend.value_state(
      ValueStateDescriptor<int>{"v"}.enable_time_to_live(StateTtlConfig{Duration(100)}));
  int k1 = 1, k2 = 2;
  backend.set_current_key(&k1);
  value.update(10);
  clock.set(1050);
  backend.set_current_key(&k2);
  value.update(20);
  clock.set(1099);
  backend.set_current_key(&k1);
  EXPECT_EQ(value.value(), 10);  // reads do not extend on_create_and_write
  clock.set(1100);
  EXPECT_FALSE(value.value());   // written at 1000, ttl 100
  backend.set_current_key(&k2);
  EXPECT_EQ(value.value(), 20);
  clock.set(1150);
  EXPECT_EQ(backend.purge_expired(), 1u);
  EXPECT_EQ(backend.entries("v"), 0u);
}

TEST(KeyedState, TtlOnReadAndWriteIsExtendedByReads) {
  ManualClock clock(0);
  state::HeapKeyedStateBackend<int> backend(&clock);
  auto value = backend.value_state(ValueStateDescriptor<int>{"v"}.enable_time_to_live(
      StateTtlConfig{Duration(100), StateTtlConfig::UpdateType::on_read_and_write}));
  int k = 1;
  backend.set_current_key(&k);
  value.update(5);
  for (Timestamp t = 90; t <= 900; t += 90) {
    clock.set(t);
    ASSERT_EQ(value.value(), 5) << "at " << t;
  }
  clock.set(1000);
  EXPECT_FALSE(value.value());
}

}  // namespace
}  // namespace sluice
