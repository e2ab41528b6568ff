#include "sluice/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sluice {
namespace {

std::string str(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(str("plain"), "\"plain\"");
  EXPECT_EQ(str("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(str("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(str(std::string_view("\x00\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  EXPECT_EQ(str("\x7f/"), "\"\x7f/\"");  // DEL and slash need no escape
  EXPECT_EQ(str(""), "\"\"");
}

TEST(JsonWriter, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(str("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  EXPECT_EQ(str("a\xFFz"), "\"a\xEF\xBF\xBDz\"");                              // not UTF-8 at all
  EXPECT_EQ(str("\xC3"), "\"\xEF\xBF\xBD\"");                                  // truncated sequence
  EXPECT_EQ(str("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // overlong '/'
  EXPECT_EQ(str("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // a surrogate
  EXPECT_EQ(str("\xF4\x90\x80\x80").substr(0, 4), "\"\xEF\xBF\xBD");           // above U+10FFFF
  // Whatever the input, the output parses.
  std::string junk;
  for (int i = 0; i < 256; ++i) junk.push_back(static_cast<char>(i));
  EXPECT_NO_THROW(parse_json(str(junk)));
  EXPECT_EQ(parse_json(str("caf\xC3\xA9")).as_string(), "caf\xC3\xA9");
}

TEST(JsonWriter, WritesNumbers) {
  JsonWriter w;
  w.begin_array()
      .value(0)
      .value(-1)
      .value(std::numeric_limits<int64_t>::min())
      .value(std::numeric_limits<int64_t>::max())
      .value(std::numeric_limits<uint64_t>::max())
      .value(0.1)
      .value(1e300)
      .value(-2.5)
      .value(3.0)
      .value(std::nan(""))
      .value(std::numeric_limits<double>::infinity())
      .end_array();
  EXPECT_EQ(w.str(),
            "[0,-1,-9223372036854775808,9223372036854775807,18446744073709551615,0.1,1e+300,-2.5,3,"
            "null,null]");
  const auto back = parse_json(w.str());
  EXPECT_EQ(back.at(size_t{2}).as_int(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(back.at(size_t{3}).as_int(), std::numeric_limits<int64_t>::max());
  EXPECT_DOUBLE_EQ(back.at(size_t{5}).as_double(), 0.1);
  EXPECT_DOUBLE_EQ(back.at(size_t{6}).as_double(), 1e300);
}

TEST(JsonWriter, NestsObjectsAndArraysWithCommas) {
  std::string out = "prefix:";
  JsonWriter w(out);
  w.begin_object()
      .field("user", "u1")
      .field("n", 3)
      .field("ok", true)
      .key("tags")
      .begin_array()
      .value("a")
      .begin_object()
      .end_object()
      .begin_array()
      .end_array()
      .null()
      .end_array()
      .key("inner")
      .begin_object()
      .field("x", 1.5)
      .key("raw")
      .raw("[1,2]")
      .end_object()
      .end_object();
  EXPECT_EQ(
      out,
      R"(prefix:{"user":"u1","n":3,"ok":true,"tags":["a",{},[],null],"inner":{"x":1.5,"raw":[1,2]}})");
  EXPECT_THROW(JsonWriter().key("x"), JsonError);
}

TEST(JsonWriter, ResetStartsANewDocument) {
  JsonWriter w;
  w.begin_object().field("a", 1).end_object();
  w.reset();
  w.begin_array().value(2).end_array();
  EXPECT_EQ(w.str(), "[2]");
}

TEST(ParseJson, ReadsEveryType) {
  const auto v = parse_json(
      R"( {"s":"x\"y\u00e9\ud83d\ude00","i":-42,"u":18446744073709551615,"d":2.5e-3,"t":true,"f":false,"n":null,"a":[1,[2],{}],"o":{"k":"v"}} )");
  EXPECT_EQ(v["s"].as_string(), "x\"y\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(v["i"].as_int(), -42);
  EXPECT_TRUE(v["u"].is_integer());
  EXPECT_THROW(v["u"].as_int(), JsonError);
  EXPECT_DOUBLE_EQ(v["d"].as_double(), 2.5e-3);
  EXPECT_TRUE(v["t"].as_bool());
  EXPECT_FALSE(v["f"].as_bool());
  EXPECT_TRUE(v["n"].is_null());
  EXPECT_TRUE(v["missing"].is_null());
  EXPECT_EQ(v["a"].size(), 3u);
  EXPECT_EQ(v["a"].at(size_t{1}).at(size_t{0}).as_int(), 2);
  EXPECT_EQ(v["o"].at("k").as_string(), "v");
  EXPECT_THROW(v.at("missing"), JsonError);
  EXPECT_THROW(v["s"].as_int(), JsonError);
  // Keys keep their order; dump writes them back the same way.
  EXPECT_EQ(v.as_object().front().first, "s");
  EXPECT_EQ(parse_json(v.dump()), v);
}

TEST(ParseJson, ReadsScalarDocuments) {
  EXPECT_EQ(parse_json("7").as_int(), 7);
  EXPECT_EQ(parse_json(" \"x\" ").as_string(), "x");
  EXPECT_TRUE(parse_json("null").is_null());
  EXPECT_DOUBLE_EQ(parse_json("1.25").as_double(), 1.25);
  EXPECT_EQ(parse_json("2.0").as_int(), 2);  // a double without a fraction reads as an integer
}

TEST(ParseJson, RejectsInvalidTextWithAReason) {
  for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "tru", "nul", "{} {}", "[1] x",
                          "\"unterminated", "{'a':1}", "01x"}) {
    try {
      parse_json(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const JsonError& e) {
      EXPECT_NE(std::string(e.what()).find("invalid JSON"), std::string::npos)
          << bad << ": " << e.what();
    }
  }
}

TEST(ParseJson, BuildsAndEditsValues) {
  JsonValue v;
  v.set("a", 1).set("b", JsonValue::Array{JsonValue("x"), JsonValue(nullptr)}).set("a", 2);
  EXPECT_EQ(v.dump(), R"({"a":2,"b":["x",null]})");
  JsonValue arr;
  arr.push_back(true).push_back(1.5).push_back(7u).push_back(int64_t{-3});
  EXPECT_EQ(arr.dump(), "[true,1.5,7,-3]");
}

KafkaRecordView view_of(std::optional<std::string_view> value) {
  KafkaRecordView r;
  r.topic = "t";
  r.value = value;
  return r;
}

TEST(JsonDeserializers, ParseValuesAndMarkBadOnes) {
  auto d = json_deserializer();
  auto ok = d(view_of(R"({"userId":"u1"})"));
  ASSERT_TRUE(ok.is_ok());
  EXPECT_EQ(ok.value()["userId"].as_string(), "u1");
  EXPECT_THROW(d(view_of("not json")), JsonError);  // the source turns a throw into a bad record
  EXPECT_TRUE(d(view_of(std::nullopt)).is_bad());

  struct Click {
    std::string user;
    int64_t ts;
  };
  auto typed = json_deserializer<Click>([](const JsonValue& v) {
    return Click{v.at("userId").as_string(), v.at("ts").as_int()};
  });
  auto c = typed(view_of(R"({"ts":5,"userId":"u7"})"));
  ASSERT_TRUE(c.is_ok());
  EXPECT_EQ(c.value().user, "u7");
  EXPECT_EQ(c.value().ts, 5);
  EXPECT_THROW(typed(view_of(R"({"ts":5})")), JsonError);

  auto fast = json_ondemand_deserializer<Click>([](simdjson::ondemand::document& doc) {
    Click k;
    k.ts = doc["ts"].get_int64();
    k.user = std::string(std::string_view(doc["userId"]));
    return k;
  });
  auto f = fast(view_of(R"({"ts":9,"userId":"u2"})"));
  ASSERT_TRUE(f.is_ok());
  EXPECT_EQ(f.value().user, "u2");
  EXPECT_EQ(f.value().ts, 9);
  EXPECT_THROW(fast(view_of(R"({"ts":"nine","userId":"u2"})")), JsonError);
}

TEST(JsonSerializers, WriteValuesAndKeys) {
  struct Count {
    std::string url;
    int64_t n;
  };
  auto ser = json_serializer<Count>(
      [](const Count& c, JsonWriter& w) {
        w.begin_object().field("url", c.url).field("count", c.n).end_object();
      },
      [](const Count& c) { return c.url; });
  ProducerRecord out;
  ser(Count{"/a\"", 12}, SinkContext{}, out);
  EXPECT_EQ(*out.value, R"({"url":"/a\"","count":12})");
  EXPECT_EQ(*out.key, "/a\"");
  out.clear();
  json_serializer()(parse_json(R"({"x":[1]})"), SinkContext{}, out);
  EXPECT_EQ(*out.value, R"({"x":[1]})");
}

}  // namespace
}  // namespace sluice
