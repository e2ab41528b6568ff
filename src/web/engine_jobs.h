// EngineJobs: the JobsProvider of a process that runs stream jobs (`sluice run`,
// `sluice demo`): the dashboard's Jobs page and /metrics read the jobs' snapshots through
// it. Rates per second are the change of the counters between two reads at least a second
// apart. Thread-safe: add() from the thread that starts a job, the rest from HTTP threads.
// Holds the JobClients it was given (the jobs stay inspectable after they end).
//
// Savepoints (trigger_savepoint, stop_with_savepoint) run JobClient's blocking call on a
// thread per request; savepoint_status() tells how it went. Destroy an EngineJobs after its
// jobs ended (JobClient::wait returned): the destructor joins those threads, and a
// savepoint of a job still running would keep it waiting.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sluice/stream_environment.h"
#include "web/jobs_provider.h"

namespace sluice::web {

class EngineJobs final : public JobsProvider {
 public:
  EngineJobs() = default;
  ~EngineJobs() override;
  EngineJobs(const EngineJobs&) = delete;
  EngineJobs& operator=(const EngineJobs&) = delete;

  // Registers a started job; returns its id in the API.
  std::string add(JobClient job);

  nlohmann::json list_jobs() override;
  nlohmann::json job(const std::string& id) override;
  nlohmann::json checkpoints(const std::string& id) override;
  bool cancel(const std::string& id) override;
  nlohmann::json trigger_savepoint(const std::string& id, const std::string& dir) override;
  nlohmann::json stop_with_savepoint(const std::string& id, const std::string& dir) override;
  nlohmann::json savepoint_status(const std::string& id, const std::string& request_id) override;
  std::string prometheus_metrics() override;

  // Waits, at most `limit`, until every savepoint request has ended and its outcome was
  // read once through savepoint_status(). A process that exits when its job ends calls it
  // first, so that whoever stopped the job with a savepoint learns the savepoint's path.
  void await_savepoint_results(std::chrono::milliseconds limit);

 private:
  struct Rates {
    std::chrono::steady_clock::time_point at;
    std::vector<uint64_t> in, out;
    std::vector<int64_t> blocked_ns;
    std::vector<double> in_per_s, out_per_s, backpressure;
  };
  struct Entry {
    std::string id;
    JobClient client;
    Rates rates;
  };
  // One savepoint asked through the API; fields after `dir` under requests_mutex_.
  struct SavepointRequest {
    std::string id;
    std::string job;
    bool stop = false;
    std::string dir;
    std::string status = "IN_PROGRESS";
    std::string location;
    std::string failure;
    bool read = false;  // the outcome was read after the request ended
    std::thread worker;
  };

  Entry* find(const std::string& id);
  static nlohmann::json summary(const Entry& e, const JobSnapshot& snap);
  static void update_rates(Rates& r, const JobSnapshot& snap);
  // {"count", "sum_ms", "mean_ms", "p50_ms"|"p95_ms"|"p99_ms" (the bucket bound holding the
  // quantile; null when empty or above the last bound), "buckets": [{"le_ms", "count"}]}.
  static nlohmann::json latency_json(const runtime::LatencyCounts& counts);
  // engine_jobs_checkpoints.cpp: the checkpoint views of a snapshot.
  static nlohmann::json checkpoint_summary(const JobSnapshot& snap);
  static nlohmann::json checkpoint_details(const JobSnapshot& snap);
  static std::string checkpoint_metrics(const std::vector<std::pair<std::string, JobSnapshot>>& jobs);
  nlohmann::json start_savepoint(const std::string& id, const std::string& dir, bool stop);

  std::mutex mutex_;
  std::vector<Entry> jobs_;

  std::mutex requests_mutex_;
  std::condition_variable requests_changed_;
  std::vector<std::unique_ptr<SavepointRequest>> requests_;
};

}  // namespace sluice::web
