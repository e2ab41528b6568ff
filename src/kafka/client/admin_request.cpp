#include "kafka/client/admin_request.h"

#include "kafka/client/error.h"

namespace sluice::kafka::client {

AdminRequest::AdminRequest(Handle& handle, std::chrono::milliseconds timeout,
                           rd_kafka_admin_op_t op, std::string name)
    : handle_(handle),
      timeout_(timeout),
      name_(std::move(name)),
      options_(rd_kafka_AdminOptions_new(handle.get(), op)),
      queue_(rd_kafka_queue_new(handle.get())) {
  char errstr[256];
  const int ms = static_cast<int>(timeout_.count());
  rd_kafka_AdminOptions_set_request_timeout(options_.get(), ms, errstr, sizeof errstr);
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS ||
      op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS) {
    rd_kafka_AdminOptions_set_operation_timeout(options_.get(), ms, errstr, sizeof errstr);
  }
}

AdminEvent AdminRequest::wait() {
  AdminEvent ev(rd_kafka_queue_poll(queue_.get(), static_cast<int>(timeout_.count()) + 5000));
  if (!ev)
    throw ClientError(handle_.timeout_message(name_, timeout_), RD_KAFKA_RESP_ERR__TIMED_OUT);
  const auto err = rd_kafka_event_error(ev.get());
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT)
    throw ClientError(handle_.timeout_message(name_, timeout_), err);
  if (err) {
    const char* s = rd_kafka_event_error_string(ev.get());
    throw ClientError(name_ + " failed: " + Error{err, s ? s : ""}.describe(), err);
  }
  return ev;
}

}  // namespace sluice::kafka::client
