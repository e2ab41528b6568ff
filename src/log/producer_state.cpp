#include "log/producer_state.h"

#include <algorithm>
#include <limits>
#include <map>

#include "common/byte_order.h"
#include "common/crc32c.h"

namespace sluice::log {
namespace {

constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();

bool in_sequence(int32_t last, int32_t next) {
  return int64_t(next) == int64_t(last) + 1 || (next == 0 && last == kInt32Max);
}

std::string describe(const ProducerBatch& b) {
  return "producer " + std::to_string(b.producer_id) + " epoch " +
         std::to_string(b.producer_epoch) + " sequences [" + std::to_string(b.first_sequence) +
         ", " + std::to_string(b.last_sequence) + "]";
}

/// Records an appended batch in its producer's entry; returns the transaction a control
/// batch closed.
std::optional<CompletedTxn> apply_to(ProducerEntry& e, const ProducerBatch& b, int64_t now_ms) {
  e.last_append_ms = std::max(e.last_append_ms, now_ms);
  if (b.producer_epoch != e.epoch) {
    e.epoch = b.producer_epoch;
    e.batches.clear();
  }
  if (b.control) {
    if (e.txn_first_offset < 0) return std::nullopt;
    CompletedTxn done{b.producer_id, e.txn_first_offset, b.last_offset, b.abort};
    e.txn_first_offset = -1;
    return done;
  }
  if (b.transactional && e.txn_first_offset < 0) e.txn_first_offset = b.first_offset;
  if (e.batches.size() == ProducerState::kRetainedBatches) e.batches.erase(e.batches.begin());
  e.batches.push_back(
      {b.first_sequence, b.last_sequence, b.first_offset, b.last_offset, b.max_timestamp});
  return std::nullopt;
}

/// Kafka's ProducerAppendInfo.checkProducerEpoch/checkSequence and the duplicate lookup
/// of UnifiedLog.analyzeAndValidateProducerState, for one batch against `current` (null:
/// an unknown producer id).
ProducerCheck check_one(const ProducerEntry* current, const ProducerBatch& b) {
  ProducerCheck out;
  if (!current) return out;  // unknown producer id: any sequence starts it
  if (!b.control && b.producer_epoch == current->epoch) {
    for (const auto& r : current->batches) {
      if (r.first_sequence == b.first_sequence && r.last_sequence == b.last_sequence) {
        out.kind = ProducerCheck::kDuplicate;
        out.original = r;
        return out;
      }
    }
  }
  if (b.producer_epoch < current->epoch) {
    out.kind = ProducerCheck::kRejected;
    out.status = Status::error(Errc::kInvalidProducerEpoch,
                               describe(b) + ": epoch " + std::to_string(b.producer_epoch) +
                                   " is older than the producer's current epoch " +
                                   std::to_string(current->epoch) +
                                   " (a newer instance of this producer has taken over)");
    return out;
  }
  if (b.control) return out;
  if (b.producer_epoch != current->epoch) {
    if (b.first_sequence != 0 && current->epoch >= 0) {
      out.kind = ProducerCheck::kRejected;
      out.status =
          Status::error(Errc::kOutOfOrderSequence,
                        describe(b) + ": a new epoch must start at sequence 0 (current epoch " +
                            std::to_string(current->epoch) + ")");
    }
    return out;
  }
  const int32_t last = current->batches.empty() ? -1 : current->batches.back().last_sequence;
  if (current->epoch >= 0 && !in_sequence(last, b.first_sequence)) {
    out.kind = ProducerCheck::kRejected;
    out.status = Status::error(
        Errc::kOutOfOrderSequence,
        describe(b) + ": expected sequence " + std::to_string(last == kInt32Max ? 0 : last + 1) +
            " (the last batch appended ended at " + std::to_string(last) + ")");
  }
  return out;
}

// Snapshot layout, big-endian:
//   magic "SLPS" | version int16 | crc32c uint32 of everything after it |
//   offset int64 | producer count int32 |
//   per producer: id int64 | epoch int16 | last append ms int64 |
//     [version 2: open transaction's first offset int64 (-1: none)] | batch count int8 |
//     per batch: first seq int32 | last seq int32 | first offset int64 | last offset int64 |
//                max timestamp int64
constexpr char kMagic[4] = {'S', 'L', 'P', 'S'};
constexpr int16_t kVersion = 2;  // 1: without transactions (still read)
constexpr size_t kPrefix = 4 + 2 + 4;
constexpr size_t kEntryBytes = 8 + 2 + 8 + 1;  // the smallest (version 1) entry
constexpr size_t kBatchBytes = 4 + 4 + 8 + 8 + 8;

template <class T>
void put(std::string& out, T v) {
  char buf[sizeof(T)];
  store_be<T>(buf, v);
  out.append(buf, sizeof(T));
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  template <class T>
  bool get(T& v) {
    if (b_.size() - pos_ < sizeof(T)) return false;
    v = load_be<T>(b_.data() + pos_);
    pos_ += sizeof(T);
    return true;
  }
  size_t left() const { return b_.size() - pos_; }

 private:
  std::string_view b_;
  size_t pos_ = 0;
};

}  // namespace

int32_t increment_sequence(int32_t first, int32_t delta) {
  if (first > kInt32Max - delta) return delta - (kInt32Max - first) - 1;
  return first + delta;
}

ProducerCheck ProducerState::check(std::span<const ProducerBatch> batches) const {
  if (batches.size() == 1) {
    if (!batches[0].idempotent()) return {};
    return check_one(find(batches[0].producer_id), batches[0]);
  }
  // Several batches: each is checked against the state the earlier ones would leave.
  std::map<int64_t, ProducerEntry> staged;
  for (const auto& b : batches) {
    if (!b.idempotent()) continue;
    auto it = staged.find(b.producer_id);
    const ProducerEntry* current = it != staged.end() ? &it->second : find(b.producer_id);
    ProducerCheck verdict = check_one(current, b);
    if (verdict.kind == ProducerCheck::kDuplicate) {
      verdict.kind = ProducerCheck::kRejected;
      verdict.status = Status::error(
          Errc::kDuplicateSequence,
          describe(b) + " repeats a batch already appended, inside a request of " +
              std::to_string(batches.size()) + " batches (send one batch per partition)");
    }
    if (verdict.kind == ProducerCheck::kRejected) return verdict;
    if (it == staged.end())
      it = staged.emplace(b.producer_id, current ? *current : ProducerEntry{}).first;
    apply_to(it->second, b, 0);
  }
  return {};
}

std::optional<CompletedTxn> ProducerState::apply(const ProducerBatch& b, int64_t now_ms) {
  if (!b.idempotent()) return std::nullopt;
  ProducerEntry& e = producers_[b.producer_id];
  const int64_t open_before = e.txn_first_offset;
  auto done = apply_to(e, b, now_ms);
  if (open_before != e.txn_first_offset) {
    if (open_before >= 0) open_txns_.erase(open_before);
    if (e.txn_first_offset >= 0) open_txns_[e.txn_first_offset] = b.producer_id;
  }
  return done;
}

size_t ProducerState::expire(int64_t now_ms, int64_t max_age_ms) {
  return std::erase_if(producers_, [&](const auto& kv) {
    return kv.second.txn_first_offset < 0 && now_ms - kv.second.last_append_ms > max_age_ms;
  });
}

std::optional<int64_t> ProducerState::first_unstable_offset() const {
  if (open_txns_.empty()) return std::nullopt;
  return open_txns_.begin()->first;
}

std::vector<OpenTxn> ProducerState::open_transactions() const {
  std::vector<OpenTxn> out;
  for (const auto& [first, id] : open_txns_)
    out.push_back({id, producers_.at(id).epoch, first});
  return out;
}

void ProducerState::rebuild_open_index() {
  open_txns_.clear();
  for (const auto& [id, e] : producers_)
    if (e.txn_first_offset >= 0) open_txns_[e.txn_first_offset] = id;
}

const ProducerEntry* ProducerState::find(int64_t producer_id) const {
  auto it = producers_.find(producer_id);
  return it == producers_.end() ? nullptr : &it->second;
}

std::string ProducerState::serialize(int64_t offset) const {
  std::string body;
  body.reserve(12 +
               producers_.size() * (kEntryBytes + ProducerState::kRetainedBatches * kBatchBytes));
  put<int64_t>(body, offset);
  put<int32_t>(body, int32_t(producers_.size()));
  // Sorted by id so that equal states give equal bytes.
  std::vector<int64_t> ids;
  ids.reserve(producers_.size());
  for (const auto& [id, e] : producers_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (int64_t id : ids) {
    const ProducerEntry& e = producers_.at(id);
    put<int64_t>(body, id);
    put<int16_t>(body, e.epoch);
    put<int64_t>(body, e.last_append_ms);
    put<int64_t>(body, e.txn_first_offset);
    put<int8_t>(body, int8_t(e.batches.size()));
    for (const auto& r : e.batches) {
      put<int32_t>(body, r.first_sequence);
      put<int32_t>(body, r.last_sequence);
      put<int64_t>(body, r.first_offset);
      put<int64_t>(body, r.last_offset);
      put<int64_t>(body, r.max_timestamp);
    }
  }
  std::string out(kMagic, sizeof kMagic);
  put<int16_t>(out, kVersion);
  put<uint32_t>(out, crc32c(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
  return out + body;
}

std::optional<ProducerState::Snapshot> ProducerState::parse(std::string_view bytes,
                                                            std::string& why) {
  if (bytes.size() < kPrefix || bytes.substr(0, 4) != std::string_view(kMagic, 4)) {
    why = "not a producer state snapshot (bad magic or too short)";
    return std::nullopt;
  }
  const int16_t version = load_be<int16_t>(bytes.data() + 4);
  if (version != kVersion && version != 1) {
    why = "unknown snapshot version " + std::to_string(version);
    return std::nullopt;
  }
  std::string_view body = bytes.substr(kPrefix);
  if (load_be<uint32_t>(bytes.data() + 6) !=
      crc32c(reinterpret_cast<const uint8_t*>(body.data()), body.size())) {
    why = "CRC mismatch";
    return std::nullopt;
  }
  Reader r(body);
  Snapshot snap;
  int32_t count = 0;
  if (!r.get(snap.offset) || !r.get(count) || count < 0 || size_t(count) > r.left() / kEntryBytes) {
    why = "truncated header";
    return std::nullopt;
  }
  for (int32_t i = 0; i < count; ++i) {
    int64_t id;
    ProducerEntry e;
    int8_t batches;
    if (!r.get(id) || !r.get(e.epoch) || !r.get(e.last_append_ms) ||
        (version >= 2 && !r.get(e.txn_first_offset)) || !r.get(batches) ||
        batches < 0 || size_t(batches) > ProducerState::kRetainedBatches) {
      why = "bad producer entry " + std::to_string(i);
      return std::nullopt;
    }
    for (int8_t j = 0; j < batches; ++j) {
      SequenceRange s;
      if (!r.get(s.first_sequence) || !r.get(s.last_sequence) || !r.get(s.first_offset) ||
          !r.get(s.last_offset) || !r.get(s.max_timestamp)) {
        why = "truncated batch of producer " + std::to_string(id);
        return std::nullopt;
      }
      e.batches.push_back(s);
    }
    snap.state.producers_.emplace(id, std::move(e));
  }
  if (r.left() != 0) {
    why = std::to_string(r.left()) + " trailing bytes";
    return std::nullopt;
  }
  snap.state.rebuild_open_index();
  return snap;
}

}  // namespace sluice::log
