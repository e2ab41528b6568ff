// Producer, Consumer, Handle and AdminClient against librdkafka's in-process mock cluster
// (a real Kafka protocol peer on a loopback port, not a mock of our code).
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>  // after rdkafka.h

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "kafka/client/admin_client.h"
#include "kafka/client/consumer.h"
#include "kafka/client/error.h"
#include "kafka/client/producer.h"

namespace sluice::kafka::client {
namespace {

using namespace std::chrono_literals;

// A producer that owns a one-broker mock cluster with topic "t" of 3 partitions.
class MockCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    Config c;
    c.set("test.mock.num.brokers", "1");
    c.set("linger.ms", "1");
    producer_ = std::make_unique<Producer>(std::move(c));
    auto* mc = rd_kafka_handle_mock_cluster(producer_->handle().get());
    ASSERT_NE(mc, nullptr);
    ASSERT_EQ(rd_kafka_mock_topic_create(mc, "t", 3, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    bootstrap_ = rd_kafka_mock_cluster_bootstraps(mc);
  }

  Config client_config() const {
    Config c;
    c.set("bootstrap.servers", bootstrap_);
    return c;
  }

  std::unique_ptr<Producer> producer_;
  std::string bootstrap_;
};

TEST_F(MockCluster, MetadataAndWatermarks) {
  Consumer consumer(client_config());
  const auto md = consumer.handle().metadata("t", 5s);
  const auto* t = md.find("t");
  ASSERT_NE(t, nullptr);
  EXPECT_FALSE(t->error);
  ASSERT_EQ(t->partitions.size(), 3u);
  EXPECT_EQ(t->partitions[2].id, 2);
  const auto w = consumer.handle().watermarks("t", 0, 5s);
  EXPECT_EQ(w.low, 0);
  EXPECT_EQ(w.high, 0);
}

TEST_F(MockCluster, ProducesCountsDeliveriesAndConsumesInOrder) {
  std::vector<Header> headers{{"h", std::string("v")}, {"null", std::nullopt}};
  for (int i = 0; i < 100; ++i) {
    const std::string value = "value-" + std::to_string(i);
    OutgoingRecord r;
    r.topic = "t";
    r.partition = 1;
    r.key = std::string_view("k");
    r.value = value;
    r.headers = &headers;
    ASSERT_FALSE(producer_->produce(r));
  }
  ASSERT_TRUE(producer_->flush(10s));
  EXPECT_EQ(producer_->counts().delivered, 100u);
  EXPECT_EQ(producer_->counts().failed, 0u);

  Consumer consumer(client_config());
  consumer.assign({{"t", 1, RD_KAFKA_OFFSET_BEGINNING}});
  std::vector<std::string> values;
  bool eof = false;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!eof && std::chrono::steady_clock::now() < deadline) {
    auto m = consumer.poll(100ms);
    if (!m) continue;
    if (m.is_partition_eof()) {
      eof = values.size() == 100;
      continue;
    }
    ASSERT_FALSE(m.error()) << m.error().describe();
    EXPECT_EQ(m.offset(), static_cast<int64_t>(values.size()));
    EXPECT_EQ(m.key(), std::optional<std::string_view>("k"));
    const auto hs = m.headers();
    ASSERT_EQ(hs.size(), 2u);
    EXPECT_EQ(hs[0].key, "h");
    EXPECT_EQ(hs[0].value, std::optional<std::string_view>("v"));
    EXPECT_FALSE(hs[1].value.has_value());
    values.emplace_back(*m.value());
  }
  ASSERT_EQ(values.size(), 100u);
  EXPECT_EQ(values.front(), "value-0");
  EXPECT_EQ(values.back(), "value-99");
  EXPECT_EQ(consumer.handle().watermarks("t", 1, 5s).high, 100);
}

TEST_F(MockCluster, RefusedRecordsAreErrorsNotDeliveries) {
  Config c = client_config();
  c.set("message.max.bytes", "1000");
  Producer small(std::move(c));
  const std::string big(5000, 'x');
  OutgoingRecord r;
  r.topic = "t";
  r.value = big;
  const auto err = small.produce(r);
  EXPECT_EQ(err.code, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  EXPECT_TRUE(small.flush(1s));
  EXPECT_EQ(small.counts().delivered + small.counts().failed, 0u);
}

TEST(Unreachable, MetadataThrowsWithTheReason) {
  Config c;
  c.set("bootstrap.servers", "127.0.0.1:1");
  Consumer consumer(std::move(c));
  try {
    consumer.handle().metadata("", 1500ms);
    FAIL() << "expected ClientError";
  } catch (const ClientError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1:1"), std::string::npos) << what;
    EXPECT_NE(what.find("Connection refused"), std::string::npos) << what;
  }
}

TEST(Unreachable, AdminRequestsThrowWithinTheTimeout) {
  Config c;
  c.set("bootstrap.servers", "127.0.0.1:1");
  AdminClient admin(std::move(c), 1500ms);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(admin.create_topics({{"x"}}), ClientError);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

}  // namespace
}  // namespace sluice::kafka::client
