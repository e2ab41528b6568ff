// Checkpoints on disk (docs/checkpoints.md has the format). One directory per checkpoint:
// `_metadata` (JSON: format version, id, job, time, max parallelism, and per operator its
// uid, name, parallelism and state files) and one `<uid>.<subtask>.state` file per operator
// subtask with state (a magic, a version, a CRC32C and the sections). A checkpoint is
// written into `<name>.inprogress/`, every file fsynced, `_metadata` last, then renamed to
// `<name>` and the parent fsynced: a directory without `.inprogress` is whole. Reading
// checks every CRC and length and throws CorruptCheckpoint naming what is wrong.
//
// Periodic checkpoints are `chk-<id>` in the job's checkpoint directory; savepoints are
// `savepoint-<job>-<id>` in a directory the user names. Both have the same format, and
// every path inside is relative, so a savepoint can be moved. Free functions, no state.
//
// A checkpoint (not a savepoint) of a RocksDB-backed operator subtask also holds RocksDB's
// own checkpoint, `<uid>.<subtask>.rocksdb/`, moved there from where the subtask staged it
// (OperatorSnapshot::native); its state file (version 2) lists that directory's files and
// sizes, checked when read. A savepoint reads the staged database into portable sections
// instead (version 1 files, readable by any backend and by sluice releases before version 2).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/checkpoint.h"
#include "sluice/time.h"

namespace sluice::checkpoint {

// The newest version written (2: native RocksDB checkpoints); 1, the portable format of
// savepoints and of checkpoints without native state, is still written and read.
inline constexpr int kFormatVersion = 2;
inline constexpr int kPortableFormatVersion = 1;

class CorruptCheckpoint : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OperatorState {
  std::string uid;
  std::string name;
  int parallelism = 1;
  std::vector<OperatorSnapshot> subtasks;  // index = subtask
};

struct CheckpointData {
  CheckpointId id = 0;
  bool savepoint = false;
  std::string job;
  Timestamp timestamp_ms = 0;
  int max_parallelism = 128;
  std::vector<OperatorState> operators;
};

struct WriteResult {
  std::filesystem::path path;
  uint64_t bytes = 0;
};

// Writes `data` as `parent/name`; throws std::runtime_error (with errno's text) on an I/O
// error, leaving at most a `.inprogress` directory behind.
WriteResult write_checkpoint(const std::filesystem::path& parent, const std::string& name,
                             const CheckpointData& data);

// A checkpoint read back: the files' bytes and an index of views into them.
class LoadedCheckpoint {
 public:
  struct Subtask {
    std::map<std::string, std::map<int, std::string_view>> keyed;
    std::map<std::string, std::string_view> operator_state;
    std::string native;  // the path of its native RocksDB checkpoint (checked whole), or empty
  };
  struct Operator {
    std::string uid;
    std::string name;
    int parallelism = 1;
    std::vector<Subtask> subtasks;
  };

  CheckpointId id = 0;
  bool savepoint = false;
  std::string job;
  Timestamp timestamp_ms = 0;
  int max_parallelism = 128;
  std::filesystem::path path;
  std::map<std::string, Operator> operators;  // by uid

  // The state of operator `uid` for subtask `index` of `parallelism` (key groups of that
  // subtask's range; every operator-state blob; the native checkpoints holding key groups
  // of that range, `whole` when it is the same subtask at the same parallelism).
  OperatorRestore restore_for(const std::string& uid, int index, int parallelism) const;

  // The files' bytes, which the views above point into.
  std::vector<std::unique_ptr<std::string>> buffers;
};

// Reads and checks a checkpoint or savepoint directory. Throws CorruptCheckpoint.
std::shared_ptr<const LoadedCheckpoint> read_checkpoint(const std::filesystem::path& dir);

// The whole `chk-<id>` directories under `dir`, newest first (unchecked: read to check).
std::vector<std::pair<CheckpointId, std::filesystem::path>> list_checkpoints(const std::filesystem::path& dir);

// The newest checkpoint under `dir` that reads back whole and whose id is at most
// `max_id`; each one skipped is logged with its reason. nullptr when there is none.
std::shared_ptr<const LoadedCheckpoint> latest_valid_checkpoint(const std::filesystem::path& dir,
                                                                std::optional<CheckpointId> max_id = {});

// Deletes all but the newest `keep` whole checkpoints, never `protect`, and every
// `.inprogress` directory older than the newest whole one.
void prune_checkpoints(const std::filesystem::path& dir, int keep, CheckpointId protect);

// A name safe as a file name: letters, digits, '-', '_' and '.' kept, others as '_'.
std::string file_safe(std::string_view name);

}  // namespace sluice::checkpoint
