// WindowTable<K, V>: a window operator's (key, window) entries, grouped by key. One hash
// lookup finds every window of a key, side by side in a small vector, so a record that
// belongs to several windows (size / slide of them for sliding windows) costs one lookup
// instead of one per window. V has a `window` member, unique within its key's group.
//
// Addresses: a key (key()) stays valid while its group has entries; an entry stays valid
// until an entry of the same key is added or erased (erase moves the group's last entry
// into the hole). Single-threaded: the operator's subtask thread.
#pragma once

#include <cstddef>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sluice::runtime {

template <class K, class V>
class WindowTable {
 public:
  using Group = std::vector<V>;
  using Map = std::unordered_map<K, Group>;

  // The group of `key`, created empty if absent. A group left empty must be dropped with
  // drop_if_empty() before the next lookup of another key.
  template <class KK>
  std::pair<const K*, Group*> group(KK&& key) {
    auto it = map_.try_emplace(std::forward<KK>(key)).first;
    return {&it->first, &it->second};
  }
  void drop_if_empty(const K* key) {
    auto it = map_.find(*key);
    if (it != map_.end() && it->second.empty()) map_.erase(it);
  }

  // The entry of `window` in `group`, added (a default V with that window) if absent.
  template <class W>
  static V& get_or_add_in(Group& group, const W& window) {
    for (V& v : group)
      if (v.window == window) return v;
    V& v = group.emplace_back();
    v.window = window;
    return v;
  }
  template <class KK, class W>
  V& get_or_add(KK&& key, const W& window) {
    return get_or_add_in(*group(std::forward<KK>(key)).second, window);
  }

  // The entry of (key, window) and the stored key, or {nullptr, nullptr}.
  template <class W>
  std::pair<const K*, V*> find(const K& key, const W& window) {
    auto it = map_.find(key);
    if (it == map_.end()) return {nullptr, nullptr};
    for (V& v : it->second)
      if (v.window == window) return {&it->first, &v};
    return {nullptr, nullptr};
  }

  // Removes the entry of (key, window) if present; `key` may be the stored key itself.
  template <class W>
  void erase(const K& key, const W& window) {
    auto it = map_.find(key);
    if (it == map_.end()) return;
    Group& g = it->second;
    for (size_t i = 0; i < g.size(); ++i) {
      if (!(g[i].window == window)) continue;
      if (i + 1 != g.size()) g[i] = std::move(g.back());
      g.pop_back();
      break;
    }
    if (g.empty()) map_.erase(it);
  }

  // Sets the entry of (key, value.window) to `value`.
  template <class KK>
  void insert_or_assign(KK&& key, V&& value) {
    Group& g = *group(std::forward<KK>(key)).second;
    for (V& v : g)
      if (v.window == value.window) {
        v = std::move(value);
        return;
      }
    g.push_back(std::move(value));
  }

  bool empty() const { return map_.empty(); }
  size_t size() const {
    size_t n = 0;
    for (auto& [key, g] : map_) n += g.size();
    return n;
  }
  // Every group, for checkpoints: (key, vector of entries).
  const Map& groups() const { return map_; }

 private:
  Map map_;
};

}  // namespace sluice::runtime
