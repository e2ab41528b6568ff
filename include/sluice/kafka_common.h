// What the Kafka source and sink share: topic-partitions, offsets, the connector error, and
// how a source spreads partitions over its parallel subtasks. Plain values and pure
// functions; any thread.
#pragma once

#include <compare>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace sluice {

struct KafkaTopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const KafkaTopicPartition&) const = default;
  std::string str() const { return topic + "-" + std::to_string(partition); }
};

// A partition and the offset of the next record to read from it (what a checkpoint stores
// and what is committed to the group: Kafka's convention, "last emitted + 1").
struct PartitionOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  bool operator==(const PartitionOffset&) const = default;
};

// A Kafka connector could not go on: a topic that does not exist, a broker that does not
// answer, a record that could not be delivered. The message says which and what to do.
class KafkaConnectorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One partition given to a source subtask: `split` is the partition's index in the sorted
// list of every partition the source reads (the number passed to SourceOutput::collect).
struct AssignedPartition {
  KafkaTopicPartition tp;
  int split = 0;
};

// The partitions subtask `index` of `parallelism` reads: those whose index i in the sorted
// list `all` has i % parallelism == index. Every partition goes to exactly one subtask, and
// the answer depends only on the arguments. `all` is sorted here if it is not.
std::vector<AssignedPartition> assign_partitions(std::vector<KafkaTopicPartition> all, int index,
                                                 int parallelism);

// The subtask that reads a partition found after the start (partition discovery): a stable
// hash of topic and partition modulo parallelism, so that every subtask, whenever it looks,
// agrees on one owner and the partitions assigned at the start keep theirs.
int new_partition_owner(const KafkaTopicPartition& tp, int parallelism);

}  // namespace sluice
