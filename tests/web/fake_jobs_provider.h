// FakeJobsProvider: a JobsProvider for tests only — one job, "click-count", with a
// four-operator graph whose counters grow with time, cancel and savepoints that change
// its state. A savepoint request is IN_PROGRESS when first polled and for 300 ms, then
// COMPLETED with a path
// in the directory asked for (nothing is written), or FAILED when that directory's name is
// "fail". Thread-safe (one mutex), as JobsProvider requires.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "web/jobs_provider.h"

namespace sluice::web::testing {

class FakeJobsProvider : public JobsProvider {
 public:
  using json = nlohmann::json;

  FakeJobsProvider() : start_ms_(now_ms() - 65000) {}

  json list_jobs() override {
    std::lock_guard lock(mutex_);
    settle();
    return {{"jobs", json::array({summary()})}};
  }

  json job(const std::string& id) override {
    std::lock_guard lock(mutex_);
    if (id != kId) return nullptr;
    settle();
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

  json checkpoints(const std::string& id) override {
    std::lock_guard lock(mutex_);
    if (id != kId) return nullptr;
    settle();
    return {{"counts", {{"total", checkpoints_.size()}, {"completed", checkpoints_.size()}, {"failed", 0},
                        {"in_progress", 0}, {"restored", 0}}},
            {"latest", {{"completed", nullptr},
                        {"savepoint", checkpoints_.empty() ? json(nullptr) : checkpoints_[0]},
                        {"failed", nullptr},
                        {"restored", nullptr}}},
            {"history", checkpoints_}};
  }

  json trigger_savepoint(const std::string& id, const std::string& dir) override {
    return request(id, dir, false);
  }

  json stop_with_savepoint(const std::string& id, const std::string& dir) override {
    return request(id, dir, true);
  }

  json savepoint_status(const std::string& id, const std::string& request_id) override {
    std::lock_guard lock(mutex_);
    if (id != kId) return nullptr;
    settle();
    for (auto& r : requests_) {
      if (r.id != request_id) continue;
      json j = {{"request-id", r.id}, {"operation", r.stop ? "stop" : "savepoint"},
                {"target-directory", r.dir}, {"status", r.status}};
      if (r.status == "COMPLETED") j["location"] = r.location;
      if (r.status == "FAILED") j["failure"] = r.failure;
      r.polled = true;
      return j;
    }
    return nullptr;
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

  struct Request {
    std::string id;
    bool stop = false;
    std::string dir;
    int64_t due_ms = 0;
    bool polled = false;
    std::string status = "IN_PROGRESS";
    std::string location, failure;
  };

  json request(const std::string& id, const std::string& dir, bool stop) {
    std::lock_guard lock(mutex_);
    if (id != kId) return nullptr;
    Request r;
    r.id = std::to_string(requests_.size() + 1);
    r.stop = stop;
    r.dir = dir;
    r.due_ms = now_ms() + 300;
    requests_.push_back(r);
    return {{"request-id", requests_.back().id}};
  }

  // Ends the requests that are due: a savepoint in the history, and the job FINISHED after
  // a stop.
  void settle() {
    for (auto& r : requests_) {
      if (r.status != "IN_PROGRESS" || !r.polled || now_ms() < r.due_ms) continue;
      if (status_ != "RUNNING") {
        r.status = "FAILED";
        r.failure = "the job is " + status_;
      } else if (r.dir.size() >= 5 && r.dir.compare(r.dir.size() - 5, 5, "/fail") == 0) {
        r.status = "FAILED";
        r.failure = "cannot write it: " + r.dir + ": No space left on device (the fake's failure)";
      } else {
        const int id = int(checkpoints_.size()) + 1;
        r.status = "COMPLETED";
        r.location = r.dir + "/savepoint-click-count-" + std::to_string(id);
        checkpoints_.insert(checkpoints_.begin(), json{{"id", id},
                                                       {"status", "COMPLETED"},
                                                       {"savepoint", true},
                                                       {"trigger_time_ms", r.due_ms - 300},
                                                       {"duration_ms", 300},
                                                       {"size_bytes", 4096},
                                                       {"alignment_ms", 1},
                                                       {"path", r.location}});
        if (r.stop) status_ = "FINISHED";
      }
    }
  }

  std::mutex mutex_;
  int64_t start_ms_;
  std::string status_ = "RUNNING";
  json checkpoints_ = json::array();
  std::vector<Request> requests_;
};

}  // namespace sluice::web::testing
