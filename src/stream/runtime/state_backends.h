// make_keyed_state_backend: the KeyedStateBackend a keyed operator subtask gets, as the
// job's StateBackendSettings say (heap, or RocksDB in a working directory of the subtask's
// own). Called from the operator's open(), on the subtask's thread. Working directories
// are named <operator>-<subtask>-<pid>-<sequence>; those of dead processes are removed.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

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

// Deletes the working directories under `base` left by processes that are gone (a job
// killed with -9 never removes its own): names end in -<pid>-<sequence>.
inline void remove_stale_working_dirs(const std::filesystem::path& base) {
  std::error_code ec;
  for (auto& entry : std::filesystem::directory_iterator(base, ec)) {
    std::string name = entry.path().filename().string();
    size_t last = name.rfind('-');
    if (last == std::string::npos || last == 0) continue;
    size_t before = name.rfind('-', last - 1);
    if (before == std::string::npos) continue;
    std::string pid = name.substr(before + 1, last - before - 1);
    if (pid.empty() || pid.size() > 10 || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    long long p = std::stoll(pid);
    if (p == ::getpid() || p <= 0 || p > INT32_MAX) continue;
    if (::kill(static_cast<pid_t>(p), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    std::error_code rm;
    std::filesystem::remove_all(entry.path(), rm);
  }
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
  auto base = state_backend_base_dir(settings, checkpoint_dir);
  if (subtask.index == 0) remove_stale_working_dirs(base);
  auto dir = base /
             (name + "-" + std::to_string(subtask.index) + "-" + std::to_string(::getpid()) + "-" +
              std::to_string(sequence.fetch_add(1)));
  return std::make_unique<state::RocksDbKeyedStateBackend<K>>(dir.string(), clock, subtask.max_parallelism,
                                                               settings.native_checkpoints);
}

}  // namespace sluice::runtime
