// EngineJobs' checkpoints: the history as JSON (jobs_provider.h), savepoints asked through
// the API on threads of their own, and the checkpoint lines of /metrics.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "common/clock.h"
#include "web/engine_jobs.h"

namespace sluice::web {

namespace {

using nlohmann::json;
using checkpoint::CheckpointStats;
using checkpoint::CheckpointStatus;

json checkpoint_json(const CheckpointStats& c) {
  const bool running = c.status == CheckpointStatus::in_progress;
  json j = {{"id", c.id},
            {"status", checkpoint::to_string(c.status)},
            {"savepoint", c.savepoint},
            {"trigger_time_ms", c.trigger_ms},
            {"duration_ms", running ? std::max<int64_t>(0, wall_clock_ms() - c.trigger_ms) : c.duration_ms},
            {"size_bytes", c.status == CheckpointStatus::completed ? json(c.bytes) : json(nullptr)},
            {"alignment_ms", c.status == CheckpointStatus::completed ? json(c.alignment_ms) : json(nullptr)},
            {"path", c.path.empty() ? json(nullptr) : json(c.path)}};
  if (c.status == CheckpointStatus::failed) j["failure"] = c.failure;
  return j;
}

json restored_json(const JobSnapshot& snap) {
  if (snap.restored_from.empty()) return nullptr;
  return {{"id", snap.restored_id},
          {"savepoint", snap.restored_savepoint},
          {"path", snap.restored_from},
          {"restore_time_ms", snap.started_ms},
          {"written_time_ms", snap.restored_written_ms}};
}

json history_newest_first(const JobSnapshot& snap) {
  json history = json::array();
  for (auto it = snap.checkpoints.rbegin(); it != snap.checkpoints.rend(); ++it) history.push_back(checkpoint_json(*it));
  return history;
}

size_t in_progress(const JobSnapshot& snap) {
  return std::count_if(snap.checkpoints.begin(), snap.checkpoints.end(),
                       [](auto& c) { return c.status == CheckpointStatus::in_progress; });
}

// The newest entry of the history that `pick` accepts, as JSON, or null.
template <class Pick>
json newest(const JobSnapshot& snap, Pick pick) {
  for (auto it = snap.checkpoints.rbegin(); it != snap.checkpoints.rend(); ++it)
    if (pick(*it)) return checkpoint_json(*it);
  return nullptr;
}

}  // namespace

json EngineJobs::checkpoint_summary(const JobSnapshot& snap) {
  return {{"completed", snap.checkpoints_completed},
          {"failed", snap.checkpoints_failed},
          {"in_progress", in_progress(snap)},
          {"latest_restored", restored_json(snap)},
          {"history", history_newest_first(snap)}};
}

json EngineJobs::checkpoint_details(const JobSnapshot& snap) {
  const size_t running = in_progress(snap);
  const bool restored = !snap.restored_from.empty();
  auto completed = [](const CheckpointStats& c) { return c.status == CheckpointStatus::completed; };
  return {{"counts",
           {{"total", snap.checkpoints_completed + snap.checkpoints_failed + running},
            {"completed", snap.checkpoints_completed},
            {"failed", snap.checkpoints_failed},
            {"in_progress", running},
            {"restored", restored ? 1 : 0}}},
          {"latest",
           {{"completed", newest(snap, [&](auto& c) { return completed(c) && !c.savepoint; })},
            {"savepoint", newest(snap, [&](auto& c) { return completed(c) && c.savepoint; })},
            {"failed", newest(snap, [](auto& c) { return c.status == CheckpointStatus::failed; })},
            {"restored", restored_json(snap)}}},
          {"history", history_newest_first(snap)}};
}

json EngineJobs::checkpoints(const std::string& id) {
  std::lock_guard lock(mutex_);
  Entry* e = find(id);
  if (!e) return nullptr;
  return checkpoint_details(e->client.snapshot());
}

json EngineJobs::trigger_savepoint(const std::string& id, const std::string& dir) {
  return start_savepoint(id, dir, false);
}

json EngineJobs::stop_with_savepoint(const std::string& id, const std::string& dir) {
  return start_savepoint(id, dir, true);
}

json EngineJobs::start_savepoint(const std::string& id, const std::string& dir, bool stop) {
  std::optional<JobClient> job;
  {
    std::lock_guard lock(mutex_);
    if (Entry* e = find(id)) job = e->client;
  }
  if (!job) return nullptr;
  std::lock_guard lock(requests_mutex_);
  auto request = std::make_unique<SavepointRequest>();
  request->id = std::to_string(requests_.size() + 1);
  request->job = id;
  request->stop = stop;
  request->dir = dir;
  SavepointRequest* r = request.get();
  r->worker = std::thread([this, r, client = *job]() mutable {
    std::string location, failure;
    try {
      location = r->stop ? client.stop_with_savepoint(r->dir) : client.trigger_savepoint(r->dir);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (!failure.empty())
      spdlog::warn("job '{}': {} into {} failed: {}", client.name(), r->stop ? "stop with savepoint" : "savepoint",
                   r->dir, failure);
    {
      std::lock_guard lock(requests_mutex_);
      r->status = failure.empty() ? "COMPLETED" : "FAILED";
      r->location = location;
      r->failure = failure;
    }
    requests_changed_.notify_all();
  });
  requests_.push_back(std::move(request));
  return {{"request-id", r->id}};
}

json EngineJobs::savepoint_status(const std::string& id, const std::string& request_id) {
  std::lock_guard lock(requests_mutex_);
  for (auto& r : requests_) {
    if (r->id != request_id || r->job != id) continue;
    json j = {{"request-id", r->id},
              {"operation", r->stop ? "stop" : "savepoint"},
              {"target-directory", r->dir},
              {"status", r->status}};
    if (r->status == "COMPLETED") j["location"] = r->location;
    if (r->status == "FAILED") j["failure"] = r->failure;
    if (r->status != "IN_PROGRESS" && !r->read) {
      r->read = true;
      requests_changed_.notify_all();
    }
    return j;
  }
  return nullptr;
}

void EngineJobs::await_savepoint_results(std::chrono::milliseconds limit) {
  std::unique_lock lock(requests_mutex_);
  requests_changed_.wait_for(lock, limit, [&] {
    return std::all_of(requests_.begin(), requests_.end(), [](auto& r) { return r->read; });
  });
}

EngineJobs::~EngineJobs() {
  for (auto& r : requests_)
    if (r->worker.joinable()) r->worker.join();
}

std::string EngineJobs::checkpoint_metrics(const std::vector<std::pair<std::string, JobSnapshot>>& jobs) {
  std::string counts =
      "# HELP sluice_job_checkpoints_total Checkpoints and savepoints of a job that completed or failed.\n"
      "# TYPE sluice_job_checkpoints_total counter\n";
  std::string running =
      "# HELP sluice_job_checkpoints_in_progress Checkpoints of a job in progress (0 or 1).\n"
      "# TYPE sluice_job_checkpoints_in_progress gauge\n";
  std::string duration =
      "# HELP sluice_job_last_checkpoint_duration_seconds Trigger to durable, of the last completed checkpoint or savepoint.\n"
      "# TYPE sluice_job_last_checkpoint_duration_seconds gauge\n";
  std::string size =
      "# HELP sluice_job_last_checkpoint_size_bytes Bytes on disk of the last completed checkpoint or savepoint.\n"
      "# TYPE sluice_job_last_checkpoint_size_bytes gauge\n";
  std::string alignment =
      "# HELP sluice_job_last_checkpoint_alignment_seconds Longest barrier alignment of a task in the last completed checkpoint.\n"
      "# TYPE sluice_job_last_checkpoint_alignment_seconds gauge\n";
  for (auto& [labels, snap] : jobs) {
    counts += fmt::format("sluice_job_checkpoints_total{{{},status=\"completed\"}} {}\n", labels, snap.checkpoints_completed);
    counts += fmt::format("sluice_job_checkpoints_total{{{},status=\"failed\"}} {}\n", labels, snap.checkpoints_failed);
    running += fmt::format("sluice_job_checkpoints_in_progress{{{}}} {}\n", labels, in_progress(snap));
    for (auto it = snap.checkpoints.rbegin(); it != snap.checkpoints.rend(); ++it) {
      if (it->status != CheckpointStatus::completed) continue;
      duration += fmt::format("sluice_job_last_checkpoint_duration_seconds{{{}}} {:.3f}\n", labels, it->duration_ms / 1e3);
      size += fmt::format("sluice_job_last_checkpoint_size_bytes{{{}}} {}\n", labels, it->bytes);
      alignment += fmt::format("sluice_job_last_checkpoint_alignment_seconds{{{}}} {:.3f}\n", labels, it->alignment_ms / 1e3);
      break;
    }
  }
  return counts + running + duration + size + alignment;
}

}  // namespace sluice::web
