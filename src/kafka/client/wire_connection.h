// WireConnection: one blocking TCP connection to one Kafka broker that speaks
// kafka/protocol's codecs, for the few APIs librdkafka 2.0 has no call for
// (ListTransactions, DescribeTransactions, DescribeLogDirs). One request at a time; not
// thread-safe (one thread, or a lock around it). Errors (cannot connect, timeout, closed,
// malformed answer) throw std::runtime_error naming the broker and, when it matters, the API.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/byte_order.h"
#include "kafka/protocol/api_keys.h"
#include "kafka/protocol/schema.h"
#include "kafka/protocol/request_header.h"

namespace sluice::kafka::client {

class WireConnection {
 public:
  // Connects (within timeout_s, which also bounds every later send and receive).
  WireConnection(const std::string& host, uint16_t port, double timeout_s,
                 std::string client_id = "sluice");
  ~WireConnection();
  WireConnection(const WireConnection&) = delete;
  WireConnection& operator=(const WireConnection&) = delete;

  const std::string& where() const { return where_; }

  // Sends `request` as (key, version) and returns the decoded response.
  template <class Response, class Request>
  Response call(ApiKey key, int16_t version, Request& request) {
    auto api = find_api(int16_t(key));
    const bool flexible = api && api->flexible(version);
    WireWriter w;
    w.int32(0);
    write_request_header(w, {int16_t(key), version, ++correlation_, client_id_}, flexible);
    encode_message(w, request, version, flexible);
    w.patch_first_int32(int32_t(w.size() - 4));
    const std::string_view name = api ? api->name : std::string_view("the request");
    send_all(w.finish_bytes(), name);
    char size[4];
    recv_all(size, 4, name);
    std::string frame(size_t(load_be<int32_t>(size)), '\0');
    recv_all(frame.data(), frame.size(), name);
    WireReader r(frame);
    if (r.int32() != correlation_) throw std::runtime_error(where_ + ": response out of order");
    if (api && response_header_is_flexible(*api, version)) r.skip_tagged_fields();
    try {
      return decode_message<Response>(r, version, flexible);
    } catch (const DecodeError& e) {
      throw std::runtime_error(where_ + ": malformed " + std::string(name) + " response: " + e.what());
    }
  }

 private:
  void send_all(std::string_view bytes, std::string_view api);
  void recv_all(char* p, size_t n, std::string_view api);

  std::string where_;
  std::string client_id_;
  int fd_ = -1;
  int32_t correlation_ = 0;
};

}  // namespace sluice::kafka::client
