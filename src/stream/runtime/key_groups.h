// Key groups (Flink's KeyGroupRangeAssignment): a key's hash is mixed and reduced to one
// of max_parallelism key groups; key group g belongs to subtask g * parallelism /
// max_parallelism. Keyed state is partitioned by key group, so a job can be restored with
// another parallelism. The same functions decide the hash exchange and state ownership.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace sluice::runtime {

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
  return key_group_of_hash(std::hash<K>{}(key), max_parallelism);
}

inline int subtask_of_key_group(int key_group, int max_parallelism, int parallelism) {
  return static_cast<int>(static_cast<int64_t>(key_group) * parallelism / max_parallelism);
}

}  // namespace sluice::runtime
