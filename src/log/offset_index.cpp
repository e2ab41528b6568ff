#include "log/offset_index.h"

#include <algorithm>

#include "common/byte_order.h"

namespace sluice::log {

uint32_t OffsetIndex::lookup(int64_t relative_offset) const {
  auto it = std::upper_bound(
      entries_.begin(), entries_.end(), relative_offset,
      [](int64_t rel, const Entry& e) { return rel < int64_t(e.relative_offset); });
  if (it == entries_.begin()) return 0;
  return uint32_t(std::prev(it)->position);
}

std::string OffsetIndex::serialize() const {
  std::string out(entries_.size() * kEntrySize, '\0');
  char* p = out.data();
  for (const auto& e : entries_) {
    store_be(p, e.relative_offset);
    store_be(p + 4, e.position);
    p += kEntrySize;
  }
  return out;
}

bool OffsetIndex::parse(std::string_view bytes, uint64_t log_size, int64_t max_relative_offset) {
  entries_.clear();
  if (bytes.size() % kEntrySize != 0) return false;
  std::vector<Entry> parsed;
  parsed.reserve(bytes.size() / kEntrySize);
  for (size_t i = 0; i < bytes.size(); i += kEntrySize) {
    Entry e{load_be<int32_t>(bytes.data() + i), load_be<int32_t>(bytes.data() + i + 4)};
    if (e.relative_offset < 0 || e.position < 0 || uint64_t(e.position) >= log_size ||
        e.relative_offset > max_relative_offset)
      return false;
    if (!parsed.empty() && (e.relative_offset <= parsed.back().relative_offset ||
                            e.position <= parsed.back().position))
      return false;
    parsed.push_back(e);
  }
  entries_ = std::move(parsed);
  return true;
}

}  // namespace sluice::log
