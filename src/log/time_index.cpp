#include "log/time_index.h"

#include <algorithm>

#include "common/byte_order.h"

namespace sluice::log {

void TimeIndex::maybe_append(int64_t timestamp, int32_t relative_offset) {
  if (!entries_.empty() && (timestamp <= entries_.back().timestamp ||
                            relative_offset <= entries_.back().relative_offset))
    return;
  if (entries_.empty() && timestamp < 0) return;  // -1: no timestamp
  entries_.push_back({timestamp, relative_offset});
}

std::optional<int32_t> TimeIndex::lookup_before(int64_t timestamp) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), timestamp,
                             [](const Entry& e, int64_t ts) { return e.timestamp < ts; });
  if (it == entries_.begin()) return std::nullopt;
  return std::prev(it)->relative_offset;
}

std::string TimeIndex::serialize() const {
  std::string out(entries_.size() * kEntrySize, '\0');
  char* p = out.data();
  for (const auto& e : entries_) {
    store_be(p, e.timestamp);
    store_be(p + 8, e.relative_offset);
    p += kEntrySize;
  }
  return out;
}

bool TimeIndex::parse(std::string_view bytes, int64_t max_relative_offset) {
  entries_.clear();
  if (bytes.size() % kEntrySize != 0) return false;
  std::vector<Entry> parsed;
  parsed.reserve(bytes.size() / kEntrySize);
  for (size_t i = 0; i < bytes.size(); i += kEntrySize) {
    Entry e{load_be<int64_t>(bytes.data() + i), load_be<int32_t>(bytes.data() + i + 8)};
    if (e.relative_offset < 0 || e.relative_offset > max_relative_offset || e.timestamp < 0)
      return false;
    if (!parsed.empty() && (e.timestamp <= parsed.back().timestamp ||
                            e.relative_offset <= parsed.back().relative_offset))
      return false;
    parsed.push_back(e);
  }
  entries_ = std::move(parsed);
  return true;
}

}  // namespace sluice::log
