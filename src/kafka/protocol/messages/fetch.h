// Fetch (key 1): record batches from partitions, long-polling up to max_wait_ms until
// min_bytes are available. Fetch sessions (v7+) are declined by answering session_id 0,
// which tells clients to keep sending full requests.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct FetchRequest {
  struct Partition {
    int32_t partition = 0;
    int32_t current_leader_epoch = -1;
    int64_t fetch_offset = 0;
    int64_t log_start_offset = -1;
    int32_t partition_max_bytes = 0;
    template <class F>
    void fields(F& f) {
      f(partition);
      f(current_leader_epoch, since(9));
      f(fetch_offset);
      f(log_start_offset, since(5));
      f(partition_max_bytes);
    }
  };
  struct Topic {
    std::string topic;
    std::vector<Partition> partitions;
    template <class F>
    void fields(F& f) {
      f(topic);
      f(partitions);
    }
  };
  struct ForgottenTopic {
    std::string topic;
    std::vector<int32_t> partitions;
    template <class F>
    void fields(F& f) {
      f(topic);
      f(partitions);
    }
  };
  int32_t replica_id = -1;
  int32_t max_wait_ms = 0;
  int32_t min_bytes = 0;
  int32_t max_bytes = INT32_MAX;
  int8_t isolation_level = 0;
  int32_t session_id = 0;
  int32_t session_epoch = -1;
  std::vector<Topic> topics;
  std::vector<ForgottenTopic> forgotten_topics_data;
  std::string rack_id;
  template <class F>
  void fields(F& f) {
    f(replica_id);
    f(max_wait_ms);
    f(min_bytes);
    f(max_bytes, since(3));
    f(isolation_level, since(4));
    f(session_id, since(7));
    f(session_epoch, since(7));
    f(topics);
    f(forgotten_topics_data, since(7));
    f(rack_id, since(11));
  }
};

struct FetchResponse {
  struct AbortedTransaction {
    int64_t producer_id = 0;
    int64_t first_offset = 0;
    template <class F>
    void fields(F& f) {
      f(producer_id);
      f(first_offset);
    }
  };
  struct Partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    int64_t high_watermark = -1;
    int64_t last_stable_offset = -1;
    int64_t log_start_offset = -1;
    std::optional<std::vector<AbortedTransaction>> aborted_transactions;
    int32_t preferred_read_replica = -1;
    Records records;
    template <class F>
    void fields(F& f) {
      f(partition_index);
      f(error_code);
      f(high_watermark);
      f(last_stable_offset, since(4));
      f(log_start_offset, since(5));
      f(aborted_transactions, since(4));
      f(preferred_read_replica, since(11));
      f(records);
    }
  };
  struct Topic {
    std::string topic;
    std::vector<Partition> partitions;
    template <class F>
    void fields(F& f) {
      f(topic);
      f(partitions);
    }
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  int32_t session_id = 0;
  std::vector<Topic> responses;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms, since(1));
    f(error_code, since(7));
    f(session_id, since(7));
    f(responses);
  }
};

}  // namespace sluice::kafka
