// Checkpoints as operators, sources and sinks see them (Flink's CheckpointedFunction and
// two-phase-commit hooks). The runtime's coordinator injects a barrier into every source
// at once; the barrier flows with the records, and every operator subtask it passes puts
// its state into an OperatorSnapshot, on its own thread, between two records. When every
// subtask has done so, the checkpoint is written (atomically) and then "complete".
//
// State comes in two shapes:
//   - keyed: per section name, per key group, the bytes of that key group's entries. On
//     restore a subtask gets the key groups of its own range, whatever the parallelism of
//     the run that wrote them: that is how a job rescales.
//   - operator (non-keyed): per section name, one blob per subtask. On restore every
//     subtask sees every blob of the previous run (Flink's union redistribution), and picks
//     what is its own (a Kafka reader takes the offsets of the partitions it now reads).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

using CheckpointId = uint64_t;

// Keyed state a backend checkpointed in its own on-disk format rather than as sections: the
// RocksDB backend's native checkpoint, a database directory (hard links to its SST files)
// staged on the checkpoint directory's file system at the barrier. The checkpoint writer
// moves the directory into the checkpoint, or for a savepoint reads it into portable
// sections. Whatever is still at `path` when the last reference goes (a declined, failed or
// abandoned checkpoint, a savepoint) is deleted then.
struct NativeKeyedState {
  NativeKeyedState(std::string staged, uint64_t size) : path(std::move(staged)), bytes(size) {}
  ~NativeKeyedState() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  NativeKeyedState(const NativeKeyedState&) = delete;
  NativeKeyedState& operator=(const NativeKeyedState&) = delete;
  std::string path;  // the staged database directory
  uint64_t bytes = 0;  // its files' bytes
};

struct OperatorSnapshot {
  std::map<std::string, std::map<int, std::string>> keyed;  // section -> key group -> bytes
  std::map<std::string, std::string> operator_state;        // section -> bytes
  std::shared_ptr<NativeKeyedState> native;                 // the keyed states' native checkpoint, or null
  bool empty() const { return keyed.empty() && operator_state.empty() && !native; }
  size_t bytes() const {
    size_t n = native ? native->bytes : 0;
    for (auto& [name, groups] : keyed)
      for (auto& [g, b] : groups) n += b.size();
    for (auto& [name, b] : operator_state) n += b.size();
    return n;
  }
};

// What one operator subtask gets back. The views point into the restored checkpoint, which
// the runtime keeps alive until every operator of the job has opened.
struct OperatorRestore {
  // section -> (key group, bytes) for this subtask's key groups, in key-group order.
  std::map<std::string, std::vector<std::pair<int, std::string_view>>> keyed;
  // section -> one blob per subtask of the run that wrote it.
  std::map<std::string, std::vector<std::string_view>> operator_state;
  // Native keyed-state checkpoints (NativeKeyedState, in the checkpoint) holding key groups
  // of this subtask: the backend opens a copy (`whole`: the same subtask of a run at the same
  // parallelism, so exactly these key groups) or extracts [first, last] from each.
  struct Native {
    std::string path;  // read only: it belongs to the checkpoint
    int first_key_group = 0;
    int last_key_group = 0;
    bool whole = false;
  };
  std::vector<Native> native;
  bool empty() const { return keyed.empty() && operator_state.empty() && native.empty(); }
};

// A job-wide party to checkpoints with effects outside the job: the exactly-once Kafka
// sink's transactions. A sink returns one from Sink::checkpoint_committer(); its writers
// share it. The coordinator calls it from the coordinator's thread; implementations are
// thread-safe against their writers.
class CheckpointCommitter {
 public:
  virtual ~CheckpointCommitter() = default;
  // The last checkpoint whose effects this committer made visible, as recorded outside
  // the job (in Kafka), or nullopt when it never committed. Called before the job starts,
  // to choose which checkpoint of a checkpoint directory to restore.
  virtual std::optional<CheckpointId> last_committed() { return std::nullopt; }
  // Before any task opens. `restored` is the checkpoint the job resumes from (0: none).
  virtual void open(CheckpointId restored) {}
  // Checkpoint `id` is durable on disk: make what its writers pre-committed visible.
  // Throwing fails the job (it restarts from a checkpoint).
  virtual void commit(CheckpointId id) = 0;
  // Checkpoint `id` was abandoned (timeout, a declining task): what was pre-committed for
  // it stays pending and is committed with the next checkpoint that completes.
  virtual void abort(CheckpointId id) {}
  // The job is being cancelled (or a task failed): wake writers waiting on a commit, at
  // once and without network calls (they fail quietly); close(false) follows.
  virtual void cancel() {}
  // The job ended: `finished` when every task ended normally (commit what is pending),
  // else (cancel, failure) drop it. Must also wake writers waiting on a commit.
  virtual void close(bool finished) {}
};

}  // namespace sluice
