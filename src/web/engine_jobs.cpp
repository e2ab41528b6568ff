#include "web/engine_jobs.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/clock.h"

namespace sluice::web {

namespace {

const char* status_of(JobState s) {
  switch (s) {
    case JobState::running: return "RUNNING";
    case JobState::finished: return "FINISHED";
    case JobState::failed: return "FAILED";
    case JobState::cancelled: return "CANCELED";
    case JobState::restarting: return "RESTARTING";
  }
  return "RUNNING";
}

std::string label(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out;
}

// The job's end-to-end latency: its sinks' histograms summed (the other vertices have none).
runtime::LatencyCounts job_latency(const JobSnapshot& snap) {
  runtime::LatencyCounts total;
  for (auto& v : snap.vertices) total += v.end_to_end_latency;
  return total;
}

nlohmann::json quantile_json(const runtime::LatencyCounts& c, double q) {
  int64_t bound = c.quantile_bound_ms(q);
  if (bound < 0 || bound == kMaxTimestamp) return nullptr;
  return bound;
}

}  // namespace

nlohmann::json EngineJobs::latency_json(const runtime::LatencyCounts& c) {
  auto buckets = nlohmann::json::array();
  for (size_t i = 0; i < c.buckets.size(); ++i) {
    nlohmann::json le = nullptr;
    if (i < runtime::kLatencyBucketsMs.size()) le = runtime::kLatencyBucketsMs[i];
    buckets.push_back({{"le_ms", le}, {"count", c.buckets[i]}});
  }
  return {{"count", c.count},
          {"sum_ms", c.sum_ms},
          {"mean_ms", c.count ? nlohmann::json(static_cast<double>(c.sum_ms) / c.count) : nlohmann::json(nullptr)},
          {"p50_ms", quantile_json(c, 0.50)},
          {"p95_ms", quantile_json(c, 0.95)},
          {"p99_ms", quantile_json(c, 0.99)},
          {"buckets", buckets}};
}

std::string EngineJobs::add(JobClient job) {
  std::lock_guard lock(mutex_);
  std::string id = fmt::format("{:06x}", jobs_.size() + 1);
  jobs_.push_back(Entry{id, std::move(job), {}});
  return id;
}

EngineJobs::Entry* EngineJobs::find(const std::string& id) {
  for (auto& e : jobs_)
    if (e.id == id) return &e;
  return nullptr;
}

nlohmann::json EngineJobs::summary(const Entry& e, const JobSnapshot& snap) {
  int parallelism = 1;
  for (auto& v : snap.vertices) parallelism = std::max(parallelism, v.parallelism);
  // Records the sources emitted: the vertices no edge leads into.
  uint64_t read = 0;
  for (auto& v : snap.vertices) {
    bool fed = std::any_of(snap.edges.begin(), snap.edges.end(),
                           [&](const auto& edge) { return edge.target == v.id; });
    if (!fed) read += v.records_out;
  }
  return {{"id", e.id},
          {"name", snap.name},
          {"status", status_of(snap.state)},
          {"start_time_ms", snap.started_ms},
          {"duration_ms", wall_clock_ms() - snap.started_ms},
          {"parallelism", parallelism},
          {"records_read", read}};
}

void EngineJobs::update_rates(Rates& r, const JobSnapshot& snap) {
  auto now = std::chrono::steady_clock::now();
  size_t n = snap.vertices.size();
  if (r.in.size() != n) {
    r = Rates{now, std::vector<uint64_t>(n), std::vector<uint64_t>(n), std::vector<int64_t>(n),
              std::vector<double>(n), std::vector<double>(n), std::vector<double>(n)};
    for (size_t i = 0; i < n; ++i) {
      r.in[i] = snap.vertices[i].records_in;
      r.out[i] = snap.vertices[i].records_out;
      r.blocked_ns[i] = snap.vertices[i].backpressure_ns;
    }
    return;
  }
  double seconds = std::chrono::duration<double>(now - r.at).count();
  if (seconds < 1.0) return;
  for (size_t i = 0; i < n; ++i) {
    auto& v = snap.vertices[i];
    r.in_per_s[i] = (v.records_in - r.in[i]) / seconds;
    r.out_per_s[i] = (v.records_out - r.out[i]) / seconds;
    r.backpressure[i] =
        std::clamp((v.backpressure_ns - r.blocked_ns[i]) / (seconds * 1e9 * std::max(1, v.parallelism)), 0.0, 1.0);
    r.in[i] = v.records_in;
    r.out[i] = v.records_out;
    r.blocked_ns[i] = v.backpressure_ns;
  }
  r.at = now;
}

nlohmann::json EngineJobs::list_jobs() {
  std::lock_guard lock(mutex_);
  auto list = nlohmann::json::array();
  for (auto& e : jobs_) list.push_back(summary(e, e.client.snapshot()));
  return {{"jobs", list}};
}

nlohmann::json EngineJobs::job(const std::string& id) {
  std::lock_guard lock(mutex_);
  Entry* e = find(id);
  if (!e) return nullptr;
  JobSnapshot snap = e->client.snapshot();
  update_rates(e->rates, snap);
  nlohmann::json j = summary(*e, snap);
  auto vertices = nlohmann::json::array();
  for (size_t i = 0; i < snap.vertices.size(); ++i) {
    auto& v = snap.vertices[i];
    nlohmann::json watermark = nullptr;
    if (v.watermark != kMinTimestamp && v.watermark != kMaxTimestamp) watermark = v.watermark;
    vertices.push_back({{"id", std::to_string(v.id)},
                        {"name", v.name},
                        {"parallelism", v.parallelism},
                        {"status", status_of(snap.state)},
                        {"records_in", v.records_in},
                        {"records_out", v.records_out},
                        {"records_in_per_second", e->rates.in_per_s[i]},
                        {"records_out_per_second", e->rates.out_per_s[i]},
                        {"watermark_ms", watermark},
                        {"backpressure", e->rates.backpressure[i]}});
  }
  auto edges = nlohmann::json::array();
  for (auto& edge : snap.edges)
    edges.push_back({{"source", std::to_string(edge.source)},
                     {"target", std::to_string(edge.target)},
                     {"ship_strategy", edge.partitioning}});
  j["vertices"] = vertices;
  j["edges"] = edges;
  j["checkpoints"] = checkpoint_summary(snap);
  j["end_to_end_latency"] = latency_json(job_latency(snap));
  auto exceptions = nlohmann::json::array();
  if (!snap.failure.empty())
    exceptions.push_back({{"time_ms", snap.failed_ms ? nlohmann::json(snap.failed_ms) : nlohmann::json(nullptr)},
                          {"message", snap.failure}});
  j["exceptions"] = exceptions;
  return j;
}

bool EngineJobs::cancel(const std::string& id) {
  std::lock_guard lock(mutex_);
  Entry* e = find(id);
  if (!e || e->client.state() != JobState::running) return false;
  e->client.cancel();
  return true;
}

std::string EngineJobs::prometheus_metrics() {
  std::lock_guard lock(mutex_);
  std::string out =
      "# HELP sluice_operator_records_in_total Records an operator received.\n"
      "# TYPE sluice_operator_records_in_total counter\n";
  std::string out_lines =
      "# HELP sluice_operator_records_out_total Records an operator emitted.\n"
      "# TYPE sluice_operator_records_out_total counter\n";
  std::string wm_lines =
      "# HELP sluice_operator_watermark_ms Current event-time watermark of an operator (minimum over subtasks).\n"
      "# TYPE sluice_operator_watermark_ms gauge\n";
  std::string bp_lines =
      "# HELP sluice_operator_backpressured_seconds_total Time an operator's tasks waited on full channels.\n"
      "# TYPE sluice_operator_backpressured_seconds_total counter\n";
  std::string latency_lines =
      "# HELP sluice_job_end_to_end_latency_seconds Wall-clock time when a sink received a record minus the "
      "record's timestamp (Kafka record timestamp at the source), over the job's sinks.\n"
      "# TYPE sluice_job_end_to_end_latency_seconds histogram\n";
  std::string job_lines =
      "# HELP sluice_job_status The job's status (1 for the current one).\n"
      "# TYPE sluice_job_status gauge\n";
  std::string restart_lines =
      "# HELP sluice_job_restarts_total Times the job restarted after a failure.\n"
      "# TYPE sluice_job_restarts_total counter\n";
  std::vector<std::pair<std::string, JobSnapshot>> checkpoint_lines;
  for (auto& e : jobs_) {
    JobSnapshot snap = e.client.snapshot();
    std::string job_labels = fmt::format("job=\"{}\",job_id=\"{}\"", label(snap.name), e.id);
    checkpoint_lines.emplace_back(job_labels, snap);
    job_lines += fmt::format("sluice_job_status{{{},status=\"{}\"}} 1\n", job_labels, status_of(snap.state));
    restart_lines += fmt::format("sluice_job_restarts_total{{{}}} {}\n", job_labels, snap.restarts);
    runtime::LatencyCounts latency = job_latency(snap);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < latency.buckets.size(); ++i) {
      cumulative += latency.buckets[i];
      std::string le = i < runtime::kLatencyBucketsMs.size() ? fmt::format("{}", runtime::kLatencyBucketsMs[i] / 1000.0)
                                                             : std::string("+Inf");
      latency_lines += fmt::format("sluice_job_end_to_end_latency_seconds_bucket{{{},le=\"{}\"}} {}\n", job_labels, le,
                                   cumulative);
    }
    latency_lines += fmt::format("sluice_job_end_to_end_latency_seconds_sum{{{}}} {:.3f}\n", job_labels, latency.sum_ms / 1000.0);
    latency_lines += fmt::format("sluice_job_end_to_end_latency_seconds_count{{{}}} {}\n", job_labels, latency.count);
    for (auto& v : snap.vertices) {
      std::string labels = fmt::format("job=\"{}\",operator=\"{}\",operator_id=\"{}\"", label(snap.name), label(v.name), v.id);
      out += fmt::format("sluice_operator_records_in_total{{{}}} {}\n", labels, v.records_in);
      out_lines += fmt::format("sluice_operator_records_out_total{{{}}} {}\n", labels, v.records_out);
      if (v.watermark != kMinTimestamp && v.watermark != kMaxTimestamp)
        wm_lines += fmt::format("sluice_operator_watermark_ms{{{}}} {}\n", labels, v.watermark);
      bp_lines += fmt::format("sluice_operator_backpressured_seconds_total{{{}}} {:.6f}\n", labels, v.backpressure_ns / 1e9);
    }
  }
  return job_lines + restart_lines + out + out_lines + wm_lines + bp_lines + latency_lines + checkpoint_metrics(checkpoint_lines);
}

}  // namespace sluice::web
