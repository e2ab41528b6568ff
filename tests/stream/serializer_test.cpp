#include "sluice/serializer.h"

#include <gtest/gtest.h>

#include <limits>

namespace sluice {
namespace {

struct Order {
  std::string id;
  int64_t cents;
  std::vector<std::string> items;
  std::optional<double> discount;
  friend bool operator==(const Order&, const Order&) = default;
};

struct Nested {
  Order order;
  std::map<std::string, std::pair<int, bool>> flags;
  friend bool operator==(const Nested&, const Nested&) = default;
};

class NotSerializable {
 public:
  explicit NotSerializable(int v) : v_(v) {}

 private:
  int v_;
};

enum class Color : uint8_t { red, green };

template <class T>
T round_trip(const T& v) {
  std::string buf;
  StateWriter w(buf);
  write_value(w, v);
  StateReader r(buf);
  T out = read_value<T>(r);
  EXPECT_TRUE(r.done()) << "bytes left over";
  return out;
}

TEST(Serializer, ScalarsAndStrings) {
  EXPECT_EQ(round_trip<int64_t>(std::numeric_limits<int64_t>::min()), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(round_trip<int64_t>(-1), -1);
  EXPECT_EQ(round_trip<uint64_t>(std::numeric_limits<uint64_t>::max()), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(round_trip<int>(-123456), -123456);
  EXPECT_EQ(round_trip<bool>(true), true);
  EXPECT_EQ(round_trip<double>(3.25), 3.25);
  EXPECT_EQ(round_trip<Color>(Color::green), Color::green);
  EXPECT_EQ(round_trip<std::string>(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(Serializer, Containers) {
  std::unordered_map<std::string, std::vector<int64_t>> m{{"a", {1, 2}}, {"b", {}}};
  EXPECT_EQ(round_trip(m), m);
  std::tuple<int, std::string, double> t{1, "x", 2.5};
  EXPECT_EQ(round_trip(t), t);
  std::vector<uint8_t> bytes{0, 255, 7};
  EXPECT_EQ(round_trip(bytes), bytes);
  std::set<int> s{3, 1, 2};
  EXPECT_EQ(round_trip(s), s);
  std::array<int, 3> a{1, 2, 3};
  EXPECT_EQ(round_trip(a), a);
}

TEST(Serializer, AggregatesByStructuredBinding) {
  static_assert(Serializable<Order>);
  static_assert(Serializable<Nested>);
  static_assert(!Serializable<NotSerializable>);
  static_assert(!Serializable<std::vector<NotSerializable>>);
  Nested n{{"o-1", 1299, {"apple", "pear"}, 0.5}, {{"x", {1, true}}}};
  EXPECT_EQ(round_trip(n), n);
}

TEST(Serializer, TruncatedOrCorruptInputThrows) {
  std::string buf;
  StateWriter w(buf);
  write_value(w, Order{"id", 5, {"a", "b"}, std::nullopt});
  for (size_t cut = 0; cut < buf.size(); ++cut) {
    StateReader r(std::string_view(buf).substr(0, cut));
    EXPECT_THROW(read_value<Order>(r), CorruptStateError) << "cut at " << cut;
  }
  std::string huge;
  StateWriter hw(huge);
  hw.varint(1ull << 40);  // a length far beyond the input
  StateReader r(huge);
  EXPECT_THROW(read_value<std::string>(r), CorruptStateError);
}

}  // namespace
}  // namespace sluice
