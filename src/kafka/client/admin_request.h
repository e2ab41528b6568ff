// AdminRequest: one in-flight librdkafka admin request (CreateTopics, DescribeGroups, ...):
// its options, with the request (and for topic changes, operation) timeout set, and the
// queue its result event arrives on. Used by AdminClient and GroupAdmin; one thread at a
// time, for the lifetime of one request.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <string>

#include "kafka/client/handle.h"

namespace sluice::kafka::client {

template <typename T, void (*Destroy)(T*)>
struct RdKafkaDestroyer {
  void operator()(T* p) const { Destroy(p); }
};
using AdminEvent =
    std::unique_ptr<rd_kafka_event_t, RdKafkaDestroyer<rd_kafka_event_t, rd_kafka_event_destroy>>;

class AdminRequest {
 public:
  /// `name` names the request in error messages ("DescribeGroups").
  AdminRequest(Handle& handle, std::chrono::milliseconds timeout, rd_kafka_admin_op_t op,
               std::string name);

  rd_kafka_AdminOptions_t* options() const { return options_.get(); }
  rd_kafka_queue_t* queue() const { return queue_.get(); }

  /// Waits for the result event. Throws ClientError when the request as a whole failed or
  /// no answer came within the timeout (the message names the broker address tried).
  AdminEvent wait();

 private:
  Handle& handle_;
  std::chrono::milliseconds timeout_;
  std::string name_;
  std::unique_ptr<rd_kafka_AdminOptions_t,
                  RdKafkaDestroyer<rd_kafka_AdminOptions_t, rd_kafka_AdminOptions_destroy>>
      options_;
  std::unique_ptr<rd_kafka_queue_t, RdKafkaDestroyer<rd_kafka_queue_t, rd_kafka_queue_destroy>>
      queue_;
};

}  // namespace sluice::kafka::client
