// The transaction coordinator's durable state: the latest TransactionMetadata of every
// transactional id, in `<data-dir>/__transaction_state/transactions.log` (Kafka keeps it
// in the `__transaction_state` topic). An append-only file of CRC-checked frames, one per
// state change, each holding the whole metadata of one id, so a change is applied whole
// or not at all. Opening reads every frame (the latest per id wins), stops at the first
// torn or corrupt one and rewrites the file with the live state only (temp file, fsync,
// rename); it is rewritten the same way when it grows past 4x that. Frame: u32 length |
// u32 crc32c(payload) | payload. Writes are fsynced when the flush policy is kEveryBatch,
// else by flush_if_due() (a kill -9 loses nothing written; a power loss may lose the
// last interval, as for the partition logs).
//
// Not thread-safe: used from the broker's thread.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "broker/txn/transaction_metadata.h"
#include "log/file_io.h"
#include "log/log_config.h"
#include "log/status.h"

namespace sluice::broker::txn {

class TransactionLog {
 public:
  struct OpenResult {
    log::Status status;
    std::unique_ptr<TransactionLog> log;
    bool ok() const { return status.ok(); }
  };

  /// Opens (creating) `dir`/transactions.log and recovers it.
  static OpenResult open(const std::filesystem::path& dir, log::FlushPolicy flush,
                         uint64_t compact_min_bytes = 16u * 1024 * 1024);

  /// Stores `txn` as the latest state of its id. kStorageError when the write (or the
  /// fsync the policy asks for) fails; the stored state is then unchanged.
  log::Status write(const TransactionMetadata& txn);

  /// Every transactional id's latest state, by id.
  const std::map<std::string, TransactionMetadata, std::less<>>& all() const { return txns_; }

  log::Status flush();
  log::Status flush_if_due(int64_t now_ms);
  uint64_t file_bytes() const { return file_bytes_; }

  /// The frame payload of a metadata and back (exposed for tests); parse returns nullopt
  /// on truncated or malformed bytes.
  static std::string serialize(const TransactionMetadata& txn);
  static std::optional<TransactionMetadata> parse(std::string_view payload);

 private:
  TransactionLog(std::filesystem::path path, log::FlushPolicy flush, uint64_t compact_min_bytes);
  log::Status load();
  log::Status rewrite();

  std::filesystem::path path_;
  log::FlushPolicy flush_;
  std::shared_ptr<log::FileHandle> file_;
  uint64_t file_bytes_ = 0;
  uint64_t compact_min_bytes_;
  uint64_t compact_at_bytes_ = 0;
  int64_t unflushed_since_ms_ = -1;
  std::map<std::string, TransactionMetadata, std::less<>> txns_;
};

}  // namespace sluice::broker::txn
