// JobsProvider: the seam through which the stream engine shows its jobs in the dashboard.
// The dashboard knows nothing of the engine; a process that runs jobs hands a
// JobsProvider to DashboardServer, which serves it at /api/jobs... and appends its
// prometheus_metrics() to /metrics. Without a provider the Jobs page says there are none.
//
// Thread-safety: every method may be called from several HTTP worker threads at once, and
// concurrently with the jobs running; the implementation synchronizes. Methods should
// answer within a few hundred milliseconds (they run on a request thread); exceptions
// they throw become a 500 with the exception's message. Ownership: the provider must
// outlive the DashboardServer it is given to (DashboardServer::stop() returns only after
// the last call into it has returned).
//
// The JSON the UI renders (times in ms since the epoch, durations in ms; any field may be
// missing or null when not known, and the UI shows "—"):
//
//   list_jobs() -> {"jobs": [JobSummary, ...]}
//   JobSummary  =  {"id": "a1b2c3", "name": "click-count",
//                   "status": "CREATED|RUNNING|FAILING|FAILED|CANCELLING|CANCELED|FINISHED|RESTARTING",
//                   "start_time_ms": 1700000000000, "duration_ms": 5321, "parallelism": 2,
//                   "records_read": 123456}     // records out of the sources so far (the
//                                               // UI charts its rate per second)
//
//   job(id) -> null when there is no such job, else JobSummary plus:
//     "vertices": [{"id": "1", "name": "Kafka source: input-topic", "parallelism": 2,
//                   "status": "RUNNING",
//                   "records_in": 1234, "records_out": 1234,            // totals
//                   "records_in_per_second": 20.5, "records_out_per_second": 20.5,
//                   "watermark_ms": 1700000000000,                      // null: none yet
//                   "backpressure": 0.0}, ...],                         // 0..1, share of time blocked
//     "edges": [{"source": "1", "target": "2", "ship_strategy": "HASH|FORWARD|REBALANCE|BROADCAST"}],
//     "checkpoints": {"completed": 12, "failed": 0, "in_progress": 0,
//                     "latest_restored": null | Checkpoint,
//                     "history": [Checkpoint, ...]},                    // newest first
//     Checkpoint = {"id": 12, "status": "COMPLETED|FAILED|IN_PROGRESS", "savepoint": false,
//                   "trigger_time_ms": ..., "duration_ms": 35, "size_bytes": 4096,
//                   "alignment_ms": 2, "path": "/data/checkpoints/chk-12",
//                   "failure": "..."},                                  // FAILED only
//     Restored   = {"id": 7, "savepoint": true, "path": "/saves/savepoint-click-count-7",
//                   "restore_time_ms": ...,                             // when this run started
//                   "written_time_ms": ...},                            // when it was written
//     "end_to_end_latency": {"count": 900, "sum_ms": 5400, "mean_ms": 6.0,
//                   "p50_ms": 5, "p95_ms": 20, "p99_ms": 50,           // bucket bounds; null: none
//                   "buckets": [{"le_ms": 1, "count": 10}, ..., {"le_ms": null, "count": 0}]},
//                   // per bucket, not cumulative; le_ms null: above the last bound. The
//                   // latency of a record = wall clock when a sink received it - its timestamp
//                   // (for Kafka sources the Kafka record's timestamp), over all sinks.
//     "exceptions": [{"time_ms": ..., "message": "..."}]                 // newest first
//
//   checkpoints(id) -> null when there is no such job, else (Flink's /jobs/:id/checkpoints)
//     {"counts": {"total": 14, "completed": 12, "failed": 1, "in_progress": 1, "restored": 1},
//      "latest": {"completed": Checkpoint|null, "savepoint": Checkpoint|null,
//                 "failed": Checkpoint|null, "restored": Restored|null},
//      "history": [Checkpoint, ...]}                                    // newest first
//
//   cancel(id) -> true when a running job was asked to cancel; false when no such job, or it
//                 is already finished.
//   trigger_savepoint(id, dir) / stop_with_savepoint(id, dir) -> null when there is no such
//                 job, else {"request-id": "3"} at once: the savepoint is taken into `dir` (an
//                 absolute directory that exists: the dashboard checked and made it) on a
//                 thread of the provider's, and the job stops after it with the second.
//   savepoint_status(id, request_id) -> null when job `id` has no such request, else
//                 {"request-id": "3", "operation": "savepoint|stop", "target-directory": dir,
//                  "status": "IN_PROGRESS|COMPLETED|FAILED",
//                  "location": "/dir/savepoint-click-count-13",         // COMPLETED only
//                  "failure": "why"}                                    // FAILED only
//   prometheus_metrics() -> Prometheus text exposition lines (with # HELP / # TYPE), e.g.
//                 sluice_operator_records_in_total{job="click-count",operator="map"} 1234
//                 appended as-is to /metrics; "" when there is nothing to say.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace sluice::web {

class JobsProvider {
 public:
  virtual ~JobsProvider() = default;

  virtual nlohmann::json list_jobs() = 0;
  virtual nlohmann::json job(const std::string& id) = 0;
  virtual bool cancel(const std::string& id) = 0;
  virtual nlohmann::json checkpoints(const std::string& id) = 0;
  virtual nlohmann::json trigger_savepoint(const std::string& id, const std::string& dir) = 0;
  virtual nlohmann::json stop_with_savepoint(const std::string& id, const std::string& dir) = 0;
  virtual nlohmann::json savepoint_status(const std::string& id, const std::string& request_id) = 0;
  virtual std::string prometheus_metrics() = 0;
};

}  // namespace sluice::web
