// TopicPartitionList: owning RAII wrapper of rd_kafka_topic_partition_list_t. Not
// thread-safe; the list is destroyed with the wrapper.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>

namespace sluice::kafka::client {

struct TopicPartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using TopicPartitionList =
    std::unique_ptr<rd_kafka_topic_partition_list_t, TopicPartitionListDeleter>;

inline TopicPartitionList make_topic_partition_list(int size) {
  return TopicPartitionList(rd_kafka_topic_partition_list_new(size));
}

}  // namespace sluice::kafka::client
