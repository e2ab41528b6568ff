// RequestMetrics: counters of the Kafka requests a broker in this process served — bytes
// in and out, and per API key the request count, errors (requests that closed the
// connection) and a latency histogram. The broker's dispatch records into the process-wide
// instance (global()); anyone in the process (the dashboard's /metrics) reads it without
// knowing the broker. Lock-free: record() and the readers may run on any threads at once;
// a reader sees each counter's latest value, not one consistent snapshot of all of them.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

class RequestMetrics {
 public:
  static constexpr int kMaxApiKey = 127;
  // Upper bounds of the latency buckets, in seconds (Prometheus "le"; +Inf is implicit).
  static constexpr std::array<double, 12> kLatencyBuckets = {
      0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 5.0};

  struct Api {
    std::atomic<const char*> name{nullptr};  // points at a static string; null: never seen
    std::atomic<uint64_t> requests{0};
    std::atomic<uint64_t> failures{0};
    std::atomic<uint64_t> latency_us_sum{0};
    std::array<std::atomic<uint64_t>, kLatencyBuckets.size()> buckets{};  // not cumulative
  };

  static RequestMetrics& global() {
    static RequestMetrics instance;
    return instance;
  }

  // One request of API `key` (named `name`, a string with static storage). `failed`: it
  // was not answered (malformed, unsupported). Keys outside [0, kMaxApiKey] count only bytes.
  void record(int key, std::string_view name, uint64_t bytes_in, uint64_t bytes_out,
              std::chrono::nanoseconds latency, bool failed) {
    bytes_in_.fetch_add(bytes_in, std::memory_order_relaxed);
    bytes_out_.fetch_add(bytes_out, std::memory_order_relaxed);
    if (key < 0 || key > kMaxApiKey) return;
    Api& api = apis_[size_t(key)];
    if (!api.name.load(std::memory_order_relaxed))
      api.name.store(name.data(), std::memory_order_relaxed);
    api.requests.fetch_add(1, std::memory_order_relaxed);
    if (failed) api.failures.fetch_add(1, std::memory_order_relaxed);
    const auto us = uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(latency).count());
    api.latency_us_sum.fetch_add(us, std::memory_order_relaxed);
    const double seconds = double(us) / 1e6;
    for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      if (seconds <= kLatencyBuckets[i]) {
        api.buckets[i].fetch_add(1, std::memory_order_relaxed);
        break;
      }
    }
  }

  uint64_t bytes_in() const { return bytes_in_.load(std::memory_order_relaxed); }
  uint64_t bytes_out() const { return bytes_out_.load(std::memory_order_relaxed); }
  const Api& api(int key) const { return apis_[size_t(key)]; }

  // True once any request was recorded: a broker runs (or ran) in this process.
  bool active() const {
    for (const auto& a : apis_)
      if (a.requests.load(std::memory_order_relaxed)) return true;
    return bytes_in() != 0;
  }

  // Prometheus text exposition (version 0.0.4) of every counter.
  std::string prometheus() const {
    std::string out;
    out += "# HELP sluice_broker_bytes_in_total Bytes of Kafka requests received.\n";
    out += "# TYPE sluice_broker_bytes_in_total counter\n";
    out += "sluice_broker_bytes_in_total " + std::to_string(bytes_in()) + "\n";
    out += "# HELP sluice_broker_bytes_out_total Bytes of Kafka responses sent.\n";
    out += "# TYPE sluice_broker_bytes_out_total counter\n";
    out += "sluice_broker_bytes_out_total " + std::to_string(bytes_out()) + "\n";
    out += "# HELP sluice_broker_requests_total Kafka requests served, by API.\n";
    out += "# TYPE sluice_broker_requests_total counter\n";
    for_each_api([&](const char* name, const Api& a) {
      out += "sluice_broker_requests_total{api=\"" + std::string(name) + "\"} " +
             std::to_string(a.requests.load(std::memory_order_relaxed)) + "\n";
    });
    out += "# HELP sluice_broker_request_failures_total Kafka requests not answered, by API.\n";
    out += "# TYPE sluice_broker_request_failures_total counter\n";
    for_each_api([&](const char* name, const Api& a) {
      out += "sluice_broker_request_failures_total{api=\"" + std::string(name) + "\"} " +
             std::to_string(a.failures.load(std::memory_order_relaxed)) + "\n";
    });
    out += "# HELP sluice_broker_request_duration_seconds Time from a request's arrival to its "
           "response, by API.\n";
    out += "# TYPE sluice_broker_request_duration_seconds histogram\n";
    for_each_api([&](const char* name, const Api& a) {
      const std::string label = std::string("api=\"") + name + "\"";
      uint64_t cumulative = 0;
      for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
        cumulative += a.buckets[i].load(std::memory_order_relaxed);
        out += "sluice_broker_request_duration_seconds_bucket{" + label + ",le=\"" +
               format_le(kLatencyBuckets[i]) + "\"} " + std::to_string(cumulative) + "\n";
      }
      const uint64_t count = a.requests.load(std::memory_order_relaxed);
      out += "sluice_broker_request_duration_seconds_bucket{" + label + ",le=\"+Inf\"} " +
             std::to_string(count) + "\n";
      out += "sluice_broker_request_duration_seconds_sum{" + label + "} " +
             std::to_string(double(a.latency_us_sum.load(std::memory_order_relaxed)) / 1e6) + "\n";
      out += "sluice_broker_request_duration_seconds_count{" + label + "} " +
             std::to_string(count) + "\n";
    });
    return out;
  }

 private:
  template <class F>
  void for_each_api(F&& f) const {
    for (const auto& a : apis_) {
      const char* name = a.name.load(std::memory_order_relaxed);
      if (name) f(name, a);
    }
  }
  static std::string format_le(double v) {
    std::string s = std::to_string(v);  // "0.000100"
    while (s.size() > 1 && s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
  }

  std::atomic<uint64_t> bytes_in_{0};
  std::atomic<uint64_t> bytes_out_{0};
  std::array<Api, kMaxApiKey + 1> apis_{};
};

}  // namespace sluice
