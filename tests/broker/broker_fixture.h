// A real broker on a free loopback port with a fresh data dir, run on its own thread,
// and a minimal blocking client that speaks our protocol codecs to it. For broker tests.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <thread>

#include "broker/broker.h"
#include "kafka/protocol/messages.h"
#include "kafka/protocol/request_header.h"

namespace sluice::broker::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("sluice-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// A blocking TCP connection that sends raw bytes or encoded requests.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("connect failed");
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawClient() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  void send_raw(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      bytes.remove_prefix(size_t(n));
    }
  }

  /// Reads one response frame (without its size prefix); nullopt if the broker closed.
  std::optional<std::string> read_frame() {
    char size_bytes[4];
    if (!read_exact(size_bytes, 4)) return std::nullopt;
    int32_t size = load_be<int32_t>(size_bytes);
    std::string frame(size_t(size), '\0');
    if (!read_exact(frame.data(), frame.size())) return std::nullopt;
    return frame;
  }

  /// True when the broker has closed the connection (read returns 0).
  bool closed_by_peer() {
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

  template <class Request>
  void send_request(kafka::ApiKey key, int16_t version, Request& request) {
    auto api = kafka::find_api(int16_t(key));
    bool flexible = api && api->flexible(version);
    kafka::WireWriter w;
    w.int32(0);
    kafka::write_request_header(w, {int16_t(key), version, ++correlation_id_, "test"}, flexible);
    kafka::encode_message(w, request, version, flexible);
    w.patch_first_int32(int32_t(w.size() - 4));
    send_raw(w.finish_bytes());
  }

  template <class Response, class Request>
  Response call(kafka::ApiKey key, int16_t version, Request& request) {
    send_request(key, version, request);
    auto frame = read_frame();
    if (!frame) throw std::runtime_error("broker closed the connection");
    // Records fields are views into the frame: kept until the next call.
    last_frame_ = std::move(*frame);
    auto api = kafka::find_api(int16_t(key));
    kafka::WireReader r(last_frame_);
    EXPECT_EQ(r.int32(), correlation_id_);
    bool flexible = api && api->flexible(version);
    if (flexible && key != kafka::ApiKey::kApiVersions) r.skip_tagged_fields();
    auto response = kafka::decode_message<Response>(r, version, flexible);
    EXPECT_EQ(r.remaining(), 0u) << "trailing bytes in response";
    return response;
  }

 private:
  bool read_exact(char* p, size_t n) {
    while (n > 0) {
      ssize_t got = ::recv(fd_, p, n, 0);
      if (got <= 0) return false;
      p += got;
      n -= size_t(got);
    }
    return true;
  }
  int fd_ = -1;
  int32_t correlation_id_ = 0;
  std::string last_frame_;
};

class BrokerTest : public ::testing::Test {
 protected:
  void start(BrokerConfig config = {}) {
    config.listen_port = 0;
    config.data_dir = dir_.path() / "data";
    broker_ = std::make_unique<Broker>(config);
    thread_ = std::thread([this] { broker_->run(); });
  }
  void stop() {
    if (broker_) broker_->stop();
    if (thread_.joinable()) thread_.join();
    broker_.reset();
  }
  void SetUp() override {}
  void TearDown() override { stop(); }
  uint16_t port() const { return broker_->port(); }

  TempDir dir_;
  std::unique_ptr<Broker> broker_;
  std::thread thread_;
};

}  // namespace sluice::broker::testing
