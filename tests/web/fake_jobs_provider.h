// FakeJobsProvider: a JobsProvider for tests only — one job, "click-count", with a
// four-operator graph whose counters grow with time, cancel and savepoints that change
// its state. It stands in for the stream engine until the engine provides the real one.
// Thread-safe (one mutex), as JobsProvider requires.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "web/jobs_provider.h"

namespace sluice::web::testing {

class FakeJobsProvider : public JobsProvider {
 public:
  using json = nlohmann::json;

  FakeJobsProvider() : start_ms_(now_ms() - 65000) {}

  json list_jobs() override {
    std::lock_guard lock(mutex_);
    return {{"jobs", json::array({summary()})}};
  }

  json job(const std::string& id) override {
    std::lock_guard lock(mutex_);
    if (id != kId) return nullptr;
    const double seconds = double(now_ms() - start_ms_) / 1000.0;
    const bool running = status_ == "RUNNING";
    auto vertex = [&](const char* vid, const char* name, int parallelism, double in_rate,
                      double out_rate, double backpressure) {
      return json{{"id", vid},
                  {"name", name},
                  {"parallelism", parallelism},
                  {"status", status_},
                  {"records_in", int64_t(in_rate * seconds)},
                  {"records_out", int64_t(out_rate * seconds)},
                  {"records_in_per_second", running ? in_rate : 0.0},
                  {"records_out_per_second", running ? out_rate : 0.0},
                  {"watermark_ms", now_ms() - 2000},
                  {"backpressure", backpressure}};
    };
    json j = summary();
    j["vertices"] = json::array({
        vertex("1", "Kafka source: input-topic", 2, 0, 20, 0.0),
        vertex("2", "map: parse click", 2, 20, 20, 0.0),
        vertex("3", "window: count per user (10 s)", 2, 20, 0.5, 0.7),
        vertex("4", "Kafka sink: click-counts", 1, 0.5, 0.5, 0.0),
        vertex("5", "dead letters: input-topic-dlq", 1, 0.1, 0.1, 0.0),
    });
    j["vertices"][4]["watermark_ms"] = nullptr;
    j["edges"] = json::array({
        {{"source", "1"}, {"target", "2"}, {"ship_strategy", "FORWARD"}},
        {{"source", "2"}, {"target", "3"}, {"ship_strategy", "HASH"}},
        {{"source", "3"}, {"target", "4"}, {"ship_strategy", "REBALANCE"}},
        {{"source", "2"}, {"target", "5"}, {"ship_strategy", "FORWARD"}},
    });
    j["checkpoints"] = {{"completed", checkpoints_.size()},
                        {"failed", 0},
                        {"in_progress", 0},
                        {"latest_restored", nullptr},
                        {"history", checkpoints_}};
    j["exceptions"] = json::array();
    return j;
  }

  bool cancel(const std::string& id) override {
    std::lock_guard lock(mutex_);
    if (id != kId || status_ != "RUNNING") return false;
    status_ = "CANCELED";
    return true;
  }

  json trigger_savepoint(const std::string& id) override {
    std::lock_guard lock(mutex_);
    if (id != kId) return nullptr;
    return savepoint();
  }

  json stop_with_savepoint(const std::string& id) override {
    std::lock_guard lock(mutex_);
    if (id != kId) return nullptr;
    json result = savepoint();
    status_ = "FINISHED";
    return result;
  }

  std::string prometheus_metrics() override {
    std::lock_guard lock(mutex_);
    return "# HELP sluice_job_uptime_seconds Time since the job started.\n"
           "# TYPE sluice_job_uptime_seconds gauge\n"
           "sluice_job_uptime_seconds{job=\"click-count\"} " +
           std::to_string((now_ms() - start_ms_) / 1000) + "\n";
  }

  static constexpr const char* kId = "a1b2c3";

 private:
  static int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  json summary() const {
    return {{"id", kId},
            {"name", "click-count"},
            {"status", status_},
            {"start_time_ms", start_ms_},
            {"duration_ms", now_ms() - start_ms_},
            {"parallelism", 2},
            {"records_read", (now_ms() - start_ms_) * 20 / 1000}};
  }

  json savepoint() {
    if (status_ != "RUNNING") return {{"status", "FAILED"}, {"error", "the job is " + status_}};
    const int id = int(checkpoints_.size()) + 1;
    json entry = {{"id", id},
                  {"status", "COMPLETED"},
                  {"savepoint", true},
                  {"trigger_time_ms", now_ms()},
                  {"duration_ms", 12},
                  {"size_bytes", 4096},
                  {"alignment_ms", 1},
                  {"path", "/tmp/savepoints/savepoint-" + std::to_string(id)}};
    checkpoints_.insert(checkpoints_.begin(), entry);
    return {{"status", "COMPLETED"}, {"id", id}, {"path", entry["path"]}};
  }

  std::mutex mutex_;
  int64_t start_ms_;
  std::string status_ = "RUNNING";
  json checkpoints_ = json::array();
};

}  // namespace sluice::web::testing
