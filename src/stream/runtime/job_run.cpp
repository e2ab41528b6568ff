#include "stream/runtime/job_run.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "common/clock.h"

namespace sluice::runtime {

const char* to_string(JobState state) {
  switch (state) {
    case JobState::running: return "RUNNING";
    case JobState::finished: return "FINISHED";
    case JobState::failed: return "FAILED";
    case JobState::cancelled: return "CANCELED";
    case JobState::restarting: return "RESTARTING";
  }
  return "UNKNOWN";
}

namespace {

const char* partitioning_name(Partitioning p) {
  switch (p) {
    case Partitioning::forward: return "FORWARD";
    case Partitioning::rebalance: return "REBALANCE";
    case Partitioning::hash: return "HASH";
    case Partitioning::broadcast: return "BROADCAST";
  }
  return "?";
}

}  // namespace

JobRun::JobRun(std::string name, JobGraph graph, JobConfig config)
    : name_(std::move(name)), graph_(std::move(graph)), config_(std::move(config)) {
  build();
}

JobRun::~JobRun() {
  if (started_.load() && !joined_) {
    cancel();
    for (auto& t : tasks_) t->join();
  }
  if (coordinator_ && !coordinator_closed_.exchange(true)) coordinator_->shutdown(false);
}

void JobRun::assign_uids() {
  std::map<std::string, int> seen;
  uid_.resize(graph_.nodes.size());
  for (auto& node : graph_.nodes) {
    std::string base = node.uid.empty() ? node.name : node.uid;
    int n = ++seen[base];
    if (!node.uid.empty() && n > 1)
      throw std::invalid_argument(fmt::format("two operators have the uid '{}': uids must be unique", node.uid));
    uid_[node.id] = n == 1 ? base : fmt::format("{}#{}", base, n);
  }
}

void JobRun::choose_restore() {
  const CheckpointSettings& cs = config_.checkpoints;
  for (auto& node : graph_.nodes)
    if (node.committer &&
        std::find(committers_.begin(), committers_.end(), node.committer) == committers_.end())
      committers_.push_back(node.committer);
  if (!cs.dir.empty()) {
    for (auto& [id, path] : checkpoint::list_checkpoints(cs.dir)) next_checkpoint_id_ = std::max(next_checkpoint_id_, id + 1);
  }
  if (!cs.restore_from.empty()) {
    restored_ = checkpoint::read_checkpoint(cs.restore_from);  // throws CorruptCheckpoint: a clear error
  } else if (!cs.dir.empty() && !checkpoint::list_checkpoints(cs.dir).empty()) {
    std::optional<CheckpointId> committed;
    for (auto& c : committers_) {
      CheckpointId last = c->last_committed().value_or(0);
      committed = committed ? std::min(*committed, last) : last;
    }
    restored_ = checkpoint::latest_valid_checkpoint(cs.dir, committed);
    if (!restored_) spdlog::warn("job '{}': no usable checkpoint in {}; starting from the beginning", name_, cs.dir);
  }
  if (!restored_) return;
  next_checkpoint_id_ = std::max(next_checkpoint_id_, restored_->id + 1);
  if (restored_->max_parallelism != config_.max_parallelism)
    throw std::invalid_argument(fmt::format(
        "{} was written with maximum parallelism {}, and this job has {}: keyed state cannot be split "
        "differently; set_max_parallelism({})",
        restored_->path.string(), restored_->max_parallelism, config_.max_parallelism, restored_->max_parallelism));
  std::vector<std::string> unmatched;
  for (auto& [uid, op] : restored_->operators)
    if (std::find(uid_.begin(), uid_.end(), uid) == uid_.end()) unmatched.push_back(uid);
  if (!unmatched.empty() && !cs.allow_non_restored_state)
    throw std::invalid_argument(fmt::format(
        "{} holds state of operators this job does not have (uid {}); give the operators their old uids, or "
        "allow non-restored state (--allow-non-restored-state) to drop it",
        restored_->path.string(), fmt::join(unmatched, ", ")));
  for (auto& uid : unmatched) spdlog::warn("job '{}': the state of operator '{}' is not restored: no such operator", name_, uid);
  spdlog::info("job '{}': restoring {} {} ({})", name_, restored_->savepoint ? "savepoint" : "checkpoint",
               restored_->id, restored_->path.string());
}

void JobRun::make_coordinator() {
  std::vector<checkpoint::CheckpointCoordinator::OperatorInfo> ops;
  for (auto& node : graph_.nodes) ops.push_back({uid_[node.id], node.name, parallelism_[node.id]});
  if (config_.checkpoints.interval.count() > 0 && config_.checkpoints.dir.empty())
    throw std::invalid_argument("periodic checkpoints need a checkpoint directory (--checkpoint-dir)");
  checkpoint::CheckpointCoordinator::Hooks hooks;
  hooks.all_tasks_running = [this] {
    return std::none_of(tasks_.begin(), tasks_.end(), [](auto& t) { return t->finished(); }) && !cancelled_.load() &&
           !stop_.load();
  };
  hooks.trigger_sources = [this](CheckpointId id, bool stop) {
    for (auto& t : tasks_)
      if (t->is_source()) t->trigger_checkpoint(id, stop);
  };
  hooks.notify_complete = [this](CheckpointId id) {
    for (auto& t : tasks_) t->notify_checkpoint_complete(id);
  };
  hooks.fail_job = [this](const std::string& error) { task_failed("checkpoint coordinator", error); };
  coordinator_ = std::make_unique<checkpoint::CheckpointCoordinator>(
      name_, config_.checkpoints, config_.max_parallelism, std::move(ops), tasks_.size(), committers_,
      std::move(hooks), next_checkpoint_id_);
}

void JobRun::build() {
  const size_t n = graph_.nodes.size();
  if (n == 0) throw std::invalid_argument("the job has no operators: add a source and a sink");
  parallelism_.resize(n);
  chain_of_.resize(n);
  metrics_.resize(n);
  tasks_of_node_.resize(n);

  auto resolve = [&](const GraphEdge& e) {
    if (e.partitioning) return *e.partitioning;
    return parallelism_[e.source] == parallelism_[e.target] ? Partitioning::forward
                                                            : Partitioning::rebalance;
  };

  assign_uids();
  choose_restore();
  for (auto& node : graph_.nodes) {
    int p = node.parallelism > 0 ? node.parallelism : config_.parallelism;
    if (p > config_.max_parallelism)
      throw std::invalid_argument(fmt::format("operator '{}': parallelism {} exceeds the maximum parallelism {}",
                                              node.name, p, config_.max_parallelism));
    parallelism_[node.id] = p;
    if (node.kind != "source" && node.input_edges.empty())
      throw std::logic_error(fmt::format("operator '{}' has no input", node.name));
  }
  for (auto& e : graph_.edges) {
    if (resolve(e) == Partitioning::forward && parallelism_[e.source] != parallelism_[e.target])
      throw std::invalid_argument(fmt::format(
          "forward edge from '{}' (parallelism {}) to '{}' (parallelism {}): forward needs equal "
          "parallelism; use rebalance()",
          graph_.nodes[e.source].name, parallelism_[e.source], graph_.nodes[e.target].name,
          parallelism_[e.target]));
  }

  // Chains: a node joins its input's chain when that is its only input and either a forward
  // one or a hash one between two operators of parallelism 1: the one consumer subtask gets
  // every record anyway, owns every key group, and a keyed operator takes the key from the
  // record itself, so only the thread hop and the channel go. The edge stays HASH in
  // snapshot(); barriers, watermarks and end of input go down the chain as on forward edges.
  auto chains = [&](const GraphEdge& e) {
    Partitioning p = resolve(e);
    return p == Partitioning::forward ||
           (p == Partitioning::hash && parallelism_[e.source] == 1 && parallelism_[e.target] == 1);
  };
  std::vector<bool> chained_edge(graph_.edges.size(), false);
  for (auto& node : graph_.nodes) {
    chain_of_[node.id] = node.id;
    if (node.input_edges.size() != 1 || !node.chainable) continue;
    int ei = node.input_edges[0];
    const GraphEdge& e = graph_.edges[ei];
    if (!graph_.nodes[e.source].chainable || !chains(e)) continue;
    chain_of_[node.id] = chain_of_[e.source];
    chained_edge[ei] = true;
  }

  // Tasks, one per chain and subtask.
  for (auto& node : graph_.nodes) {
    int p = parallelism_[node.id];
    tasks_of_node_[node.id].resize(p);
    for (int s = 0; s < p; ++s) {
      if (chain_of_[node.id] == node.id) {
        auto task = std::make_unique<Task>(fmt::format("{} ({}/{})", node.name, s + 1, p),
                                           static_cast<TaskOwner*>(this), &config_);
        tasks_of_node_[node.id][s] = task.get();
        tasks_.push_back(std::move(task));
      } else {
        tasks_of_node_[node.id][s] = tasks_of_node_[chain_of_[node.id]][s];
      }
    }
  }

  // Operators.
  std::vector<std::vector<StreamOperator*>> ops(n);
  for (auto& node : graph_.nodes) {
    int p = parallelism_[node.id];
    for (int s = 0; s < p; ++s) {
      metrics_[node.id].push_back(std::make_unique<OperatorMetrics>());
      SubtaskInfo info{node.name, s, p, config_.max_parallelism};
      std::unique_ptr<StreamOperator> op = node.make_operator(info);
      op->setup(OperatorSetup{info, config_.clock.get(), metrics_[node.id][s].get(), node.route_failures, &config_});
      if (restored_) {
        OperatorRestore state = restored_->restore_for(uid_[node.id], s, p);
        if (!state.empty()) op->initialize_state(state);
      }
      ops[node.id].push_back(op.get());
      Task* task = tasks_of_node_[node.id][s];
      if (node.kind == "source") task->set_source(dynamic_cast<SourceDriver*>(op.get()));
      task->add_operator(std::move(op), node.id);
    }
  }

  // Channels and input gates of the network edges: chans[edge][from][to].
  std::vector<std::vector<std::vector<std::shared_ptr<ChannelBase>>>> chans(graph_.edges.size());
  for (size_t ei = 0; ei < graph_.edges.size(); ++ei) {
    if (chained_edge[ei]) continue;
    const GraphEdge& e = graph_.edges[ei];
    auto& types = graph_.nodes[e.source].outputs;
    auto it = types.find(e.source_stream);
    if (it == types.end())
      throw std::logic_error(fmt::format("operator '{}' has no output stream '{}'",
                                         graph_.nodes[e.source].name, e.source_stream));
    const StreamOps& stream = *it->second;
    int m = parallelism_[e.source], k = parallelism_[e.target];
    bool forward = resolve(e) == Partitioning::forward;
    chans[ei].assign(m, std::vector<std::shared_ptr<ChannelBase>>(forward ? 1 : k));
    for (int b = 0; b < k; ++b) {
      Task* consumer = tasks_of_node_[e.target][b];
      std::vector<std::shared_ptr<ChannelBase>> inputs;
      for (int a = 0; a < m; ++a) {
        if (forward && a != b) continue;
        auto ch = stream.make_channel(config_.channel_capacity, consumer->wakeup());
        chans[ei][a][forward ? 0 : b] = ch;
        inputs.push_back(ch);
        channel_closers_.push_back([ch] { ch->close(); });
      }
      size_t first = consumer->add_channels(inputs.size());
      consumer->add_gate(stream.make_input_gate(inputs, ops[e.target][b], e.target_input, first));
    }
  }

  // Outputs.
  std::map<std::pair<int, std::string>, std::vector<int>> edges_from;
  for (size_t ei = 0; ei < graph_.edges.size(); ++ei)
    edges_from[{graph_.edges[ei].source, graph_.edges[ei].source_stream}].push_back(static_cast<int>(ei));
  for (auto& node : graph_.nodes) {
    for (int s = 0; s < parallelism_[node.id]; ++s) {
      Task* task = tasks_of_node_[node.id][s];
      for (auto& [stream_id, stream] : node.outputs) {
        std::vector<OutputBase*> targets;
        for (int ei : edges_from[{node.id, stream_id}]) {
          const GraphEdge& e = graph_.edges[ei];
          std::unique_ptr<OutputBase> out;
          if (chained_edge[ei]) {
            out = stream->make_chained_output(ops[e.target][s], e.target_input);
          } else {
            bool forward = resolve(e) == Partitioning::forward;
            auto& row = chans[ei][s];
            out = stream->make_network_output(row, resolve(e), e.key_hash, config_.max_parallelism,
                                              config_.batch_size, forward ? 0 : static_cast<size_t>(s));
          }
          targets.push_back(out.get());
          task->own_output(std::move(out), !chained_edge[ei]);
        }
        OutputBase* out = nullptr;
        if (targets.empty()) {
          if (!stream_id.empty()) continue;  // an unread side output drops its records
          auto discard = stream->make_discarding_output();
          out = discard.get();
          task->own_output(std::move(discard), false);
        } else if (targets.size() == 1) {
          out = targets[0];
        } else {
          auto fan = stream->make_fan_out(targets);
          out = fan.get();
          task->own_output(std::move(fan), false);
        }
        ops[node.id][s]->set_output(stream_id, out);
      }
    }
  }
}

void JobRun::start() {
  if (started_.exchange(true)) throw std::logic_error("a job runs once");
  started_ms_ = wall_clock_ms();
  make_coordinator();
  for (auto& c : committers_) c->open(restored_ ? restored_->id : 0);
  spdlog::info("job '{}': starting {} tasks", name_, tasks_.size());
  for (auto& t : tasks_) t->start();
  coordinator_->start();
}

void JobRun::wait() {
  for (auto& t : tasks_) t->join();
  bool failed;
  {
    std::lock_guard lock(mutex_);
    failed = !failure_.empty();
  }
  if (coordinator_ && !coordinator_closed_.exchange(true)) {
    std::string error = coordinator_->shutdown(!failed && !cancelled_.load());
    std::lock_guard lock(mutex_);
    if (!error.empty() && failure_.empty()) failure_ = "committing the output of the finished job: " + error;
  }
  {
    std::lock_guard lock(mutex_);
    joined_ = true;
    if (!failure_.empty()) throw JobFailure(fmt::format("job '{}' failed: {}", name_, failure_));
  }
}

void JobRun::acknowledge_checkpoint(CheckpointId id, checkpoint::TaskAck ack) {
  coordinator_->acknowledge(id, std::move(ack));
}

void JobRun::decline_checkpoint(CheckpointId id, const std::string& reason) { coordinator_->decline(id, reason); }

void JobRun::task_finished(const std::string& task, CheckpointId last_checkpoint) {
  coordinator_->task_finished(task, last_checkpoint);
}

std::string JobRun::savepoint(const std::string& dir, bool stop) {
  if (!started_.load() || !coordinator_) throw std::runtime_error("the job has not started");
  if (dir.empty()) throw std::invalid_argument("a savepoint needs a directory");
  return coordinator_->savepoint(dir, stop).get();
}

std::string JobRun::trigger_savepoint(const std::string& dir) { return savepoint(dir, false); }
std::string JobRun::stop_with_savepoint(const std::string& dir) { return savepoint(dir, true); }

std::vector<checkpoint::CheckpointStats> JobRun::checkpoints() const {
  return coordinator_ ? coordinator_->history() : std::vector<checkpoint::CheckpointStats>{};
}

void JobRun::cancel() {
  if (cancelled_.exchange(true)) return;
  close_channels();
  for (auto& c : committers_) c->cancel();  // exactly-once writers may wait on a commit
}

void JobRun::stop() { stop_.store(true); }

void JobRun::close_channels() {
  for (auto& close : channel_closers_) close();
  for (auto& t : tasks_) t->wakeup()->notify();
}

void JobRun::task_failed(const std::string& task, const std::string& error) {
  {
    std::lock_guard lock(mutex_);
    if (failure_.empty()) {
      failure_ = fmt::format("task {}: {}", task, error);
      failed_ms_ = wall_clock_ms();
    }
  }
  spdlog::error("job '{}': task {} failed: {}", name_, task, error);
  cancel();
}

JobState JobRun::state() const {
  {
    std::lock_guard lock(mutex_);
    if (!failure_.empty()) return JobState::failed;
  }
  bool all_done = std::all_of(tasks_.begin(), tasks_.end(), [](auto& t) { return t->finished(); });
  if (!all_done) return JobState::running;
  return cancelled_.load() ? JobState::cancelled : JobState::finished;
}

JobSnapshot JobRun::snapshot() const {
  JobSnapshot snap;
  snap.name = name_;
  snap.state = state();
  snap.started_ms = started_ms_;
  {
    std::lock_guard lock(mutex_);
    snap.failure = failure_;
    snap.failed_ms = failed_ms_;
  }
  for (auto& node : graph_.nodes) {
    JobSnapshot::Vertex v{node.id, node.name, node.kind, parallelism_[node.id], chain_of_[node.id], 0, 0,
                          kMaxTimestamp, 0};
    for (auto& m : metrics_[node.id]) {
      v.records_in += m->records_in.load(std::memory_order_relaxed);
      v.records_out += m->records_out.load(std::memory_order_relaxed);
      v.watermark = std::min<Timestamp>(v.watermark, m->watermark.load(std::memory_order_relaxed));
      v.end_to_end_latency += m->end_to_end_latency.snapshot();
    }
    if (chain_of_[node.id] == node.id)
      for (Task* t : tasks_of_node_[node.id]) v.backpressure_ns += t->blocked_ns();
    snap.vertices.push_back(std::move(v));
  }
  for (auto& e : graph_.edges) {
    Partitioning p = e.partitioning.value_or(parallelism_[e.source] == parallelism_[e.target]
                                                 ? Partitioning::forward
                                                 : Partitioning::rebalance);
    snap.edges.push_back({e.source, e.target, partitioning_name(p)});
  }
  snap.checkpoints = checkpoints();
  if (coordinator_) {
    auto counts = coordinator_->counts();
    snap.checkpoints_completed = counts.completed;
    snap.checkpoints_failed = counts.failed;
  }
  if (restored_) {
    snap.restored_from = restored_->path.string();
    snap.restored_id = restored_->id;
    snap.restored_savepoint = restored_->savepoint;
    snap.restored_written_ms = restored_->timestamp_ms;
  }
  return snap;
}

}  // namespace sluice::runtime
