// make_keyed_state_backend: the KeyedStateBackend a keyed operator subtask gets, as the
// job's StateBackendSettings say (heap, or RocksDB in a working directory of the subtask's
// own). Called from the operator's open(), on the subtask's thread.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <filesystem>
#include <memory>
#include <string>

#include "sluice/subtask_info.h"
#include "stream/runtime/job_config.h"
#include "stream/state/keyed_state_backend.h"

namespace sluice::runtime {

// The directory RocksDB's working files go under, as StateBackendSettings::dir documents.
inline std::filesystem::path state_backend_base_dir(const StateBackendSettings& settings, const std::string& checkpoint_dir) {
  if (!settings.dir.empty()) return settings.dir;
  if (!checkpoint_dir.empty()) return std::filesystem::path(checkpoint_dir) / "rocksdb-working";
  return std::filesystem::temp_directory_path() / "sluice-rocksdb";
}

template <class K>
std::unique_ptr<state::KeyedStateBackend<K>> make_keyed_state_backend(const StateBackendSettings& settings,
                                                                      const std::string& checkpoint_dir,
                                                                      const ProcessingClock* clock,
                                                                      const SubtaskInfo& subtask) {
  if (settings.kind == StateBackend::heap)
    return std::make_unique<state::HeapKeyedStateBackend<K>>(clock, subtask.max_parallelism);
  // Unique per process and backend: two jobs (or restarts) in one process never share one.
  static std::atomic<uint64_t> sequence{0};
  std::string name;
  for (char c : subtask.operator_name) name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (name.size() > 40) name.resize(40);
  auto dir = state_backend_base_dir(settings, checkpoint_dir) /
             (name + "-" + std::to_string(subtask.index) + "-" + std::to_string(::getpid()) + "-" +
              std::to_string(sequence.fetch_add(1)));
  return std::make_unique<state::RocksDbKeyedStateBackend<K>>(dir.string(), clock, subtask.max_parallelism);
}

}  // namespace sluice::runtime
