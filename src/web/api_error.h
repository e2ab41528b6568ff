// ApiError: a failure of one dashboard API call that has an HTTP status (404 unknown
// topic, 409 topic exists, 400 bad request, 413 upload too large, 503 Kafka unreachable).
// Thrown by the views; DashboardServer turns it into that status and {"error": message}.
#pragma once

#include <stdexcept>
#include <string>

namespace sluice::web {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

}  // namespace sluice::web
