// WindowTable: a window operator's (key, window) entries grouped by key.
#include "stream/window/window_table.h"

#include <gtest/gtest.h>

#include <string>

#include "sluice/window.h"

namespace sluice::runtime {
namespace {

struct Entry {
  TimeWindow window;
  int count = 0;
};

using Table = WindowTable<std::string, Entry>;

TEST(WindowTable, OneGroupHoldsEveryWindowOfAKey) {
  Table t;
  auto [key, group] = t.group(std::string("a"));
  for (int64_t start : {0, 2, 4}) Table::get_or_add_in(*group, TimeWindow{start, start + 10}).count++;
  Table::get_or_add_in(*group, TimeWindow{2, 12}).count++;  // already there
  t.get_or_add(std::string("b"), TimeWindow{0, 10}).count = 7;
  EXPECT_EQ(*key, "a");
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(t.find("a", TimeWindow{2, 12}).second->count, 2);
  EXPECT_EQ(*t.find("a", TimeWindow{2, 12}).first, "a");
  EXPECT_EQ(t.find("b", TimeWindow{0, 10}).second->count, 7);
  EXPECT_EQ(t.find("b", TimeWindow{2, 12}).second, nullptr);
  EXPECT_EQ(t.find("c", TimeWindow{0, 10}).second, nullptr);
}

TEST(WindowTable, EraseKeepsTheOtherWindowsAndDropsAnEmptyKey) {
  Table t;
  for (int64_t start : {0, 2, 4}) t.get_or_add(std::string("a"), TimeWindow{start, start + 10}).count = int(start);
  t.erase("a", TimeWindow{0, 10});  // the last one moves into its place
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.find("a", TimeWindow{0, 10}).second, nullptr);
  EXPECT_EQ(t.find("a", TimeWindow{2, 12}).second->count, 2);
  EXPECT_EQ(t.find("a", TimeWindow{4, 14}).second->count, 4);
  t.erase("a", TimeWindow{9, 19});  // absent: nothing happens
  EXPECT_EQ(t.size(), 2u);
  t.erase("a", TimeWindow{2, 12});
  // Erasing through the table's own copy of the key is allowed: it goes last.
  const std::string* stored = t.find("a", TimeWindow{4, 14}).first;
  t.erase(*stored, TimeWindow{4, 14});
  EXPECT_TRUE(t.empty());
  EXPECT_TRUE(t.groups().empty());
}

TEST(WindowTable, InsertOrAssignReplacesTheEntryOfItsWindow) {
  Table t;
  t.insert_or_assign(std::string("a"), Entry{TimeWindow{0, 10}, 1});
  t.insert_or_assign(std::string("a"), Entry{TimeWindow{0, 10}, 5});
  t.insert_or_assign(std::string("a"), Entry{TimeWindow{10, 20}, 6});
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.find("a", TimeWindow{0, 10}).second->count, 5);
  EXPECT_EQ(t.find("a", TimeWindow{10, 20}).second->count, 6);
}

TEST(WindowTable, AGroupLeftEmptyIsDropped) {
  Table t;
  auto [key, group] = t.group(std::string("a"));
  EXPECT_FALSE(t.empty());
  t.drop_if_empty(key);
  EXPECT_TRUE(t.empty());
}

}  // namespace
}  // namespace sluice::runtime
