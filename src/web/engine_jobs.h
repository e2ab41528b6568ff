// EngineJobs: the JobsProvider of a process that runs stream jobs (`sluice run`,
// `sluice demo`): the dashboard's Jobs page and /metrics read the jobs' snapshots through
// it. Rates per second are the change of the counters between two reads at least a second
// apart. Thread-safe: add() from the thread that starts a job, the rest from HTTP threads.
// Holds the JobClients it was given (the jobs stay inspectable after they end).
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/stream_environment.h"
#include "web/jobs_provider.h"

namespace sluice::web {

class EngineJobs final : public JobsProvider {
 public:
  // Registers a started job; returns its id in the API.
  std::string add(JobClient job);

  nlohmann::json list_jobs() override;
  nlohmann::json job(const std::string& id) override;
  bool cancel(const std::string& id) override;
  nlohmann::json trigger_savepoint(const std::string& id) override;
  std::string prometheus_metrics() override;

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

  Entry* find(const std::string& id);
  static nlohmann::json summary(const Entry& e, const JobSnapshot& snap);
  static void update_rates(Rates& r, const JobSnapshot& snap);

  std::mutex mutex_;
  std::vector<Entry> jobs_;
};

}  // namespace sluice::web
