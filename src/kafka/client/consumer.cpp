#include "kafka/client/consumer.h"

#include "kafka/client/error.h"
#include "kafka/client/topic_partition_list.h"

namespace sluice::kafka::client {

Config Consumer::with_defaults(Config config) {
  config.set_default("enable.auto.commit", "false");
  config.set_default("enable.auto.offset.store", "false");
  config.set_default("enable.partition.eof", "true");
  // librdkafka 2.0 refuses assign() without a group id ("Unknown group"). The group is
  // never joined and nothing is committed under it.
  config.set_default("group.id", "sluice-console");
  return config;
}

Consumer::Consumer(Config config)
    : handle_(with_defaults(std::move(config)), Handle::Role::consumer) {
  rd_kafka_poll_set_consumer(handle_.get());
}

Consumer::~Consumer() { close(); }

void Consumer::close() {
  if (closed_) return;
  closed_ = true;
  rd_kafka_consumer_close(handle_.get());
}

void Consumer::assign(const std::vector<PartitionStart>& starts) {
  auto list = make_topic_partition_list(static_cast<int>(starts.size()));
  for (const auto& s : starts) {
    rd_kafka_topic_partition_list_add(list.get(), s.topic.c_str(), s.partition)->offset =
        s.offset;
  }
  if (const auto err = rd_kafka_assign(handle_.get(), list.get())) {
    throw ClientError(std::string("cannot assign partitions: ") + rd_kafka_err2str(err), err);
  }
}

Message Consumer::poll(std::chrono::milliseconds timeout) {
  return Message(rd_kafka_consumer_poll(handle_.get(), static_cast<int>(timeout.count())));
}

std::vector<int64_t> Consumer::offsets_for_times(const std::string& topic,
                                                 const std::vector<int32_t>& partitions,
                                                 int64_t timestamp_ms,
                                                 std::chrono::milliseconds timeout) {
  return handle_.offsets_for_times(topic, partitions, timestamp_ms, timeout);
}

}  // namespace sluice::kafka::client
