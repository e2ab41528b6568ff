// TxnOffsetCommit (key 28): a group's offsets committed inside a transaction: visible to
// OffsetFetch only once the transaction commits. v0-3 (v3 flexible, with the consumer's
// generation and member id).
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct TxnOffsetCommitRequest {
  struct Partition {
    int32_t partition_index = 0;
    int64_t committed_offset = 0;
    int32_t committed_leader_epoch = -1;
    std::optional<std::string> committed_metadata;
    template <class F>
    void fields(F& f) {
      f(partition_index);
      f(committed_offset);
      f(committed_leader_epoch, since(2));
      f(committed_metadata);
    }
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    template <class F>
    void fields(F& f) {
      f(name);
      f(partitions);
    }
  };
  std::string transactional_id;
  std::string group_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<Topic> topics;
  template <class F>
  void fields(F& f) {
    f(transactional_id);
    f(group_id);
    f(producer_id);
    f(producer_epoch);
    f(generation_id, since(3));
    f(member_id, since(3));
    f(group_instance_id, since(3));
    f(topics);
  }
};

struct TxnOffsetCommitResponse {
  struct Partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    template <class F>
    void fields(F& f) {
      f(partition_index);
      f(error_code);
    }
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    template <class F>
    void fields(F& f) {
      f(name);
      f(partitions);
    }
  };
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms);
    f(topics);
  }
};

}  // namespace sluice::kafka
