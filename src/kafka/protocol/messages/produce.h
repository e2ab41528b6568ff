// Produce (key 0): record batches for partitions; acks 0 (no response), 1 or -1 (all).
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct ProduceRequest {
  struct Partition {
    int32_t index = 0;
    Records records;
    template <class F>
    void fields(F& f) {
      f(index);
      f(records);
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
  std::optional<std::string> transactional_id;
  int16_t acks = -1;
  int32_t timeout_ms = 0;
  std::vector<Topic> topics;
  template <class F>
  void fields(F& f) {
    f(transactional_id, since(3));
    f(acks);
    f(timeout_ms);
    f(topics);
  }
};

struct ProduceResponse {
  struct RecordError {
    int32_t batch_index = 0;
    std::optional<std::string> batch_index_error_message;
    template <class F>
    void fields(F& f) {
      f(batch_index);
      f(batch_index_error_message);
    }
  };
  struct Partition {
    int32_t index = 0;
    int16_t error_code = 0;
    int64_t base_offset = -1;
    int64_t log_append_time_ms = -1;
    int64_t log_start_offset = -1;
    std::vector<RecordError> record_errors;
    std::optional<std::string> error_message;
    template <class F>
    void fields(F& f) {
      f(index);
      f(error_code);
      f(base_offset);
      f(log_append_time_ms, since(2));
      f(log_start_offset, since(5));
      f(record_errors, since(8));
      f(error_message, since(8));
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
  std::vector<Topic> responses;
  int32_t throttle_time_ms = 0;
  template <class F>
  void fields(F& f) {
    f(responses);
    f(throttle_time_ms, since(1));
  }
};

}  // namespace sluice::kafka
