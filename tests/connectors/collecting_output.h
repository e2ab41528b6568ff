// Test helpers: a SourceOutput that keeps what a reader emits, and a loop that polls a reader
// to its end. Single-threaded.
#pragma once

#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "sluice/source.h"

namespace sluice::test {

template <class T>
struct Emitted {
  T value;
  Timestamp timestamp;
  int split;
};

template <class T>
class CollectingOutput final : public SourceOutput<T> {
 public:
  void collect(T value, Timestamp timestamp, int split) override {
    if (finished.contains(split)) {
      throw std::logic_error("record on split " + std::to_string(split) + " after finish_split");
    }
    records.push_back({std::move(value), timestamp, split});
  }
  void register_split(int split) override {
    if (!records.empty() && !allow_late_registration) {
      throw std::logic_error("register_split after records");
    }
    registered.insert(split);
  }
  void finish_split(int split) override {
    if (!finished.insert(split).second) {
      throw std::logic_error("finish_split(" + std::to_string(split) + ") twice");
    }
  }
  std::vector<T> values() const {
    std::vector<T> out;
    for (const auto& r : records) out.push_back(r.value);
    return out;
  }

  std::vector<Emitted<T>> records;
  bool allow_late_registration = false;  // sources that discover splits while running
  std::set<int> registered;
  std::set<int> finished;
};

// Polls until end_of_input (true) or until `timeout` passes (false).
template <class T>
bool poll_to_end(SourceReader<T>& reader, SourceOutput<T>& out,
                 std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (reader.poll(out) == SourceStatus::end_of_input) return true;
  }
  return false;
}

}  // namespace sluice::test
