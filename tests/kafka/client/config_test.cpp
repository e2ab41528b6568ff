// Config, ConnectionOptions and parse_assignment: what `-b`, `-X` and `--timeout` become.
#include "kafka/client/config.h"

#include <gtest/gtest.h>

#include "kafka/client/error.h"

namespace sluice::kafka::client {
namespace {

TEST(ParseAssignment, SplitsAtTheFirstEquals) {
  EXPECT_EQ(parse_assignment("a=b"), std::make_pair(std::string("a"), std::string("b")));
  EXPECT_EQ(parse_assignment("sasl.jaas=x=y"), std::make_pair(std::string("sasl.jaas"), std::string("x=y")));
  EXPECT_EQ(parse_assignment("k="), std::make_pair(std::string("k"), std::string()));
  EXPECT_THROW(parse_assignment("novalue"), std::invalid_argument);
  EXPECT_THROW(parse_assignment("=v"), std::invalid_argument);
}

TEST(ConnectionOptions, PropertiesOverrideDefaults) {
  ConnectionOptions o;
  o.bootstrap_servers = "h1:1,h2:2";
  o.timeout_seconds = 2.5;
  o.properties = {"client.id=tool", "socket.timeout.ms=777"};
  const auto c = o.make_config();
  EXPECT_EQ(c.get("bootstrap.servers"), "h1:1,h2:2");
  EXPECT_EQ(c.get("client.id"), "tool");
  EXPECT_EQ(c.get("socket.timeout.ms"), "777");
  EXPECT_EQ(c.get("socket.connection.setup.timeout.ms"), "2500");
  EXPECT_EQ(o.timeout().count(), 2500);
}

TEST(Config, SetDefaultKeepsWhatWasSet) {
  Config c;
  c.set("linger.ms", "50");
  c.set_default("linger.ms", "5");
  c.set_default("acks", "1");
  EXPECT_EQ(c.get("linger.ms"), "50");
  EXPECT_TRUE(c.was_set("acks"));
}

TEST(Config, RejectsUnknownPropertiesWithTheirName) {
  ConnectionOptions o;
  o.properties = {"no.such.property=1"};
  try {
    o.make_config();
    FAIL() << "expected ClientError";
  } catch (const ClientError& e) {
    EXPECT_NE(std::string(e.what()).find("no.such.property"), std::string::npos) << e.what();
  }
}

TEST(Error, NamesAndDescribes) {
  Error ok;
  EXPECT_FALSE(ok);
  Error e{RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS, "Topic 'x' already exists."};
  EXPECT_TRUE(e);
  EXPECT_EQ(e.name(), "TOPIC_ALREADY_EXISTS");
  EXPECT_EQ(e.describe(), "TOPIC_ALREADY_EXISTS: Topic 'x' already exists.");
  EXPECT_EQ((Error{RD_KAFKA_RESP_ERR__TIMED_OUT, {}}.name()), "TIMED_OUT");
}

}  // namespace
}  // namespace sluice::kafka::client
