// GeneratorSource<T>: records made in process, rate-limited and optionally bounded (Flink's
// DataGeneratorSource). Two ways to make records:
//
// - from_index(fn): record i is fn(i). Subtask s of p makes the indices s, s+p, s+2p, ...
//   below count, so the job sees the same records whatever its parallelism.
// - from_factory(factory): factory(subtask) returns the subtask's own `next(T&, Timestamp&)`
//   (false: no more records), e.g. a seeded generator per subtask (subtask_seed). `count` is
//   split evenly over the subtasks. next() must set every field of `out`: it is handed the
//   previous value (lent to the job, so its strings keep their capacity; moved-from for a
//   move-only T). seed_generators.h wraps the seeds' generators this way.
//
// rate(r): at most r records/s in total, r/p per subtask (a token bucket with a tenth of a
// second of burst), 0 = as fast as possible. count(n): n records in total, then the source ends
// (bounded); 0 = unbounded. Each subtask is one split (0). Records carry the timestamp the
// producer gave (from_index: none; use a WatermarkStrategy's timestamp assigner).
//
// Threads: built and create_reader() on the job's thread; each reader on its subtask's
// thread only. fn and factory are copied into every reader and called from its thread; they
// must not share mutable state across subtasks.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>

#include "sluice/source.h"
#include "sluice/subtask_info.h"
#include "sluice/time.h"

namespace sluice {

// A seed of its own for subtask `index` derived from the job's seed (splitmix64), so that
// subtasks draw independent sequences and the same job seed gives the same ones.
inline uint64_t subtask_seed(uint64_t seed, int index) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (static_cast<uint64_t>(index) + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A token bucket: at most `rate` takes per second on average, bursts up to `burst`.
// rate <= 0: unlimited. One thread.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  explicit TokenBucket(double rate, Clock::time_point now = Clock::now())
      : rate_(rate), burst_(std::max(1.0, rate / 10)), tokens_(std::min(1.0, burst_)), last_(now) {}

  bool limited() const { return rate_ > 0; }
  // How many of `want` may go now (taken from the bucket).
  uint64_t take(uint64_t want, Clock::time_point now = Clock::now()) {
    if (rate_ <= 0) return want;
    if (now > last_) {
      tokens_ =
          std::min(burst_, tokens_ + std::chrono::duration<double>(now - last_).count() * rate_);
      last_ = now;
    }
    const auto n = std::min<uint64_t>(want, static_cast<uint64_t>(tokens_));
    tokens_ -= static_cast<double>(n);
    return n;
  }
  // How long until one more token.
  Clock::duration wait() const {
    if (rate_ <= 0 || tokens_ >= 1) return Clock::duration::zero();
    return std::chrono::duration_cast<Clock::duration>(
               std::chrono::duration<double>((1 - tokens_) / rate_)) +
           Clock::duration(1);
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

template <class T>
class GeneratorSource final : public Source<T> {
 public:
  using Next = std::function<bool(T& out, Timestamp& timestamp)>;
  using Factory = std::function<Next(const SubtaskInfo& subtask)>;

  static GeneratorSource from_index(std::function<T(uint64_t index)> fn, uint64_t count = 0) {
    if (!fn) throw std::invalid_argument("GeneratorSource::from_index: no function");
    GeneratorSource s;
    s.index_fn_ = std::move(fn);
    s.count_ = count;
    return s;
  }
  static GeneratorSource from_factory(Factory factory, uint64_t count = 0) {
    if (!factory) throw std::invalid_argument("GeneratorSource::from_factory: no factory");
    GeneratorSource s;
    s.factory_ = std::move(factory);
    s.count_ = count;
    return s;
  }

  // Records per second over all subtasks; 0: unlimited.
  GeneratorSource& rate(double records_per_second) {
    if (records_per_second < 0) throw std::invalid_argument("GeneratorSource: negative rate");
    rate_ = records_per_second;
    return *this;
  }
  // Records in total; 0: unbounded.
  GeneratorSource& count(uint64_t n) {
    count_ = n;
    return *this;
  }
  GeneratorSource& max_records_per_poll(size_t n) {
    max_per_poll_ = std::max<size_t>(1, n);
    return *this;
  }

  bool bounded() const override { return count_ > 0; }

  std::unique_ptr<SourceReader<T>> create_reader(const SubtaskInfo& subtask) override {
    const auto p = static_cast<uint64_t>(std::max(1, subtask.parallelism));
    const auto i = static_cast<uint64_t>(subtask.index);
    uint64_t mine = 0;  // records this subtask makes (0: unbounded)
    if (count_ > 0) mine = count_ / p + (i < count_ % p ? 1 : 0);
    Next next;
    if (index_fn_) {
      next = [fn = index_fn_, index = i, p](T& out, Timestamp& ts) mutable {
        out = fn(index);
        ts = kNoTimestamp;
        index += p;
        return true;
      };
    } else {
      next = factory_(subtask);
      if (!next) throw std::invalid_argument("GeneratorSource: the factory returned no function");
    }
    return std::make_unique<Reader>(std::move(next), count_ > 0, mine,
                                    rate_ / static_cast<double>(p), max_per_poll_);
  }

 private:
  GeneratorSource() = default;

  class Reader final : public SourceReader<T> {
   public:
    Reader(Next next, bool bounded, uint64_t limit, double rate, size_t max_per_poll)
        : next_(std::move(next)),
          bounded_(bounded),
          left_(limit),
          bucket_(rate),
          max_per_poll_(max_per_poll) {}

    SourceStatus poll(SourceOutput<T>& output) override {
      if (done_) return SourceStatus::end_of_input;
      if (!registered_) {
        registered_ = true;
        output.register_split(0);
      }
      uint64_t want = max_per_poll_;
      if (bounded_) want = std::min<uint64_t>(want, left_);
      const uint64_t n = bucket_.take(want);
      for (uint64_t k = 0; k < n; ++k) {
        Timestamp ts = kNoTimestamp;
        if (!next_(value_, ts)) {
          left_ = 0;
          bounded_ = true;
          break;
        }
        if constexpr (std::is_copy_constructible_v<T>) {
          output.collect_borrowed(value_, ts, 0);  // value_ is reused: no allocation per record
        } else {
          output.collect(std::move(value_), ts, 0);
        }
        if (bounded_) --left_;
      }
      if (bounded_ && left_ == 0) {
        output.finish_split(0);
        done_ = true;
        return SourceStatus::end_of_input;
      }
      if (n == 0) {
        std::this_thread::sleep_for(
            std::min<TokenBucket::Clock::duration>(bucket_.wait(), std::chrono::milliseconds(100)));
        return SourceStatus::nothing_available;
      }
      return SourceStatus::more_available;
    }

   private:
    Next next_;
    bool bounded_;
    uint64_t left_;
    TokenBucket bucket_;
    size_t max_per_poll_;
    bool done_ = false;
    bool registered_ = false;
    T value_{};
  };

  std::function<T(uint64_t)> index_fn_;
  Factory factory_;
  uint64_t count_ = 0;
  double rate_ = 0;
  size_t max_per_poll_ = 500;
};

}  // namespace sluice
