// Requests waiting on a partition: long-polling fetches waiting for data, and produces
// waiting for their fsync (GroupCommit::wait). A waiter registers a timer under every
// partition it waits on; new visible data in a partition (a produce under an interval flush
// policy, a transaction marker, a finished group-commit fsync) cancels the timers
// registered under it, which wakes those requests to look again. Single-threaded: used on
// the broker's thread.
#pragma once

#include <asio/steady_timer.hpp>
#include <string>
#include <unordered_map>
#include <vector>

namespace sluice::broker {

class FetchWaiters {
 public:
  static std::string key(const std::string& topic, int32_t partition) {
    return topic + '\0' + std::to_string(partition);
  }
  void add(const std::string& key, asio::steady_timer* timer) { waiting_[key].push_back(timer); }
  void remove(const std::string& key, asio::steady_timer* timer) {
    auto it = waiting_.find(key);
    if (it == waiting_.end()) return;
    std::erase(it->second, timer);
    if (it->second.empty()) waiting_.erase(it);
  }
  /// Wakes every fetch waiting on the partition.
  void notify(const std::string& key) {
    auto it = waiting_.find(key);
    if (it == waiting_.end()) return;
    for (auto* t : it->second) t->cancel();
  }

 private:
  std::unordered_map<std::string, std::vector<asio::steady_timer*>> waiting_;
};

}  // namespace sluice::broker
