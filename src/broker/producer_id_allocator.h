// Hands out the producer ids of idempotent producers (InitProducerId without a
// transactional id), never the same one twice for a data dir, across restarts and crashes
// included: ids are reserved in blocks of kBlockSize through the file `producer_ids` in the
// data dir, which names the first id of the next block and is replaced atomically (written,
// fsynced, renamed) before any id of a newly reserved block is handed out. A crash wastes
// the rest of the current block, nothing more.
//
// Not thread-safe: the broker calls it from its request thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace sluice::broker {

class ProducerIdAllocator {
 public:
  static constexpr int64_t kBlockSize = 1000;
  static constexpr const char* kFileName = "producer_ids";

  /// Reads nothing yet: the file in `data_dir` is read at the first next().
  explicit ProducerIdAllocator(std::filesystem::path data_dir);

  /// A producer id never handed out before for this data dir, or nullopt with `error` set
  /// when a new block cannot be reserved (the file is unreadable or corrupt, or cannot be
  /// written). A corrupt file is never silently reset: that could reuse ids.
  std::optional<int64_t> next(std::string& error);

 private:
  bool reserve_block(std::string& error);

  std::filesystem::path path_;
  bool loaded_ = false;
  int64_t next_ = 0;       // the next id to hand out
  int64_t block_end_ = 0;  // first id not reserved yet
};

}  // namespace sluice::broker
