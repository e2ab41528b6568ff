// Key groups (Flink's KeyGroupRangeAssignment): a key's hash is mixed and reduced to one
// of max_parallelism key groups; key group g belongs to subtask g * parallelism /
// max_parallelism. Keyed state is partitioned by key group, so a job can be restored with
// another parallelism. The same functions decide the hash exchange and state ownership.
// A composite state key that must stay with the record key it belongs to (WindowedKey: a
// key and one of its windows) hashes as that key (KeyGroupHash).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace sluice {
template <class K, class W>
struct WindowedKey;
}  // namespace sluice

namespace sluice::runtime {

// The hash that places a state key in its key group: std::hash, except for keys whose
// state must live in the subtask that owns another key.
template <class K>
struct KeyGroupHash {
  size_t operator()(const K& key) const { return std::hash<K>{}(key); }
};
// Per-window state of a key goes with the key (the window operator's own entries do too).
template <class K, class W>
struct KeyGroupHash<WindowedKey<K, W>> {
  size_t operator()(const WindowedKey<K, W>& key) const { return std::hash<K>{}(key.key); }
};

// murmur3's 64-bit finalizer: std::hash of an integer is the integer itself.
inline uint64_t mix_hash(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

inline int key_group_of_hash(size_t hash, int max_parallelism) {
  return static_cast<int>(mix_hash(hash) % static_cast<uint64_t>(max_parallelism));
}

template <class K>
int key_group_of(const K& key, int max_parallelism) {
  return key_group_of_hash(KeyGroupHash<K>{}(key), max_parallelism);
}

inline int subtask_of_key_group(int key_group, int max_parallelism, int parallelism) {
  return static_cast<int>(static_cast<int64_t>(key_group) * parallelism / max_parallelism);
}

}  // namespace sluice::runtime
