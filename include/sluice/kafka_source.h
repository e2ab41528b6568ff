// KafkaSource<T>: reads Kafka topics into a stream through librdkafka (Flink's KafkaSource).
//
//   auto source = KafkaSource<std::string>::builder()
//                     .bootstrap_servers("127.0.0.1:9092")
//                     .topics({"clicks"})                 // or .topic_pattern("clicks-.*")
//                     .group_id("click-count")
//                     .starting_offsets(StartingOffsets::committed())  // earliest when none
//                     .deserializer(string_deserializer())
//                     .dead_letter_topic("clicks-dlq")
//                     .build();
//
// Each parallel subtask reads its own partitions with assign() (no group membership, no
// rebalances): the sorted list of every partition of the topics at start, partition i to
// subtask i % parallelism (assign_partitions). Each partition is one split of the reader
// (split number = its index i), declared with register_split on the first poll: records carry
// Kafka's timestamps and their split, so the runtime keeps one watermark per partition, and a
// subtask left without partitions declares none (idle). Bounded mode stops every partition at the
// end offset it had when the reader opened (finish_split, then end_of_input). Unbounded sources
// with partition_discovery_interval > 0 look for new topics (pattern) and partitions every
// interval, in a background thread; a new partition goes to new_partition_owner(), is read from
// its beginning and is declared as a new split (numbers after the initial ones). Off by default.
//
// Offsets: the offset after each emitted record is committed to the group id every
// commit_interval, at the bounded end (synchronously) and on close, for monitoring (lag in `sluice
// groups`); a job restarted with StartingOffsets::committed() resumes there.
//
// Checkpoints (as Flink's KafkaSource): a reader's state is the next offset of each partition it
// reads (snapshot_state). restore_state() gets the offsets every subtask of the previous run saved,
// whatever its parallelism: the reader starts the partitions it now owns there, and partitions the
// checkpoint does not know at the configured starting offsets. When a checkpoint completes, its
// offsets are committed to the group id (notify_checkpoint_complete): the group's offsets are then
// for monitoring and for a restart without a checkpoint; the checkpoint is the truth. A reader that
// takes part in checkpoints (commit_offsets_on_checkpoints, or from its first snapshot or restore
// on) commits nothing else, so that the group never runs ahead of what a checkpoint (and an
// exactly-once sink's committed output) covers.
//
// Bad records: a deserializer that returns Deserialized::bad (or throws std::exception)
// never stops the job, unless the source was built with fail_on_bad_record(): then the
// first one fails the job with BadRecordError (its topic, partition, offset and reason),
// as Flink's Kafka source does when deserialization throws. Otherwise, with a dead-letter
// topic the raw record goes there (same key, value, timestamp and headers, plus `error` =
// the reason and `source.topic`, `source.partition`, `source.offset`); without one it is
// dropped, counted and logged (the first ones, then every 1000th).
//
// Threads: build() and create_reader() on the job's thread; each reader on its subtask's
// thread only. The KafkaSource is a value (copyable settings); readers own their librdkafka
// clients.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sluice/kafka_common.h"
#include "sluice/serialization.h"
#include "sluice/source.h"
#include "sluice/subtask_info.h"
#include "sluice/time.h"

namespace sluice {

// Where each partition starts when the job starts.
class StartingOffsets {
 public:
  enum class Kind { earliest, latest, committed, timestamp, specific };

  // The first offset the partition still has.
  static StartingOffsets earliest() { return StartingOffsets(Kind::earliest); }
  // The end of the partition: only records written after the start.
  static StartingOffsets latest() { return StartingOffsets(Kind::latest); }
  // The group's committed offset; partitions without one start at `fallback` (earliest or
  // latest). Needs a group id.
  static StartingOffsets committed(Kind fallback = Kind::earliest) {
    StartingOffsets s(Kind::committed);
    s.fallback_ = fallback;
    return s;
  }
  // The first record whose timestamp is >= ms; partitions whose records are all older start
  // at their end.
  static StartingOffsets timestamp(Timestamp ms) {
    StartingOffsets s(Kind::timestamp);
    s.timestamp_ = ms;
    return s;
  }
  // The given next-offsets; partitions not listed start at `fallback` (earliest or latest).
  static StartingOffsets specific(std::vector<PartitionOffset> offsets,
                                  Kind fallback = Kind::earliest) {
    StartingOffsets s(Kind::specific);
    s.offsets_ = std::move(offsets);
    s.fallback_ = fallback;
    return s;
  }

  Kind kind() const { return kind_; }
  Kind fallback() const { return fallback_; }
  Timestamp timestamp_ms() const { return timestamp_; }
  const std::vector<PartitionOffset>& offsets() const { return offsets_; }

 private:
  explicit StartingOffsets(Kind k) : kind_(k) {}
  Kind kind_;
  Kind fallback_ = Kind::earliest;
  Timestamp timestamp_ = 0;
  std::vector<PartitionOffset> offsets_;
};

// Everything a KafkaSource is configured with, apart from the deserializer.
struct KafkaSourceSettings {
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::vector<std::string> topics;  // either topics ...
  std::string topic_pattern;        // ... or an ECMAScript regex matching whole topic names
  std::string group_id;             // for commits and StartingOffsets::committed()
  StartingOffsets starting_offsets =
      StartingOffsets::committed();  // builder: earliest without a group id
  bool bounded = false;
  std::vector<std::pair<std::string, std::string>> properties;  // librdkafka, win over ours
  std::string dead_letter_topic;             // empty: bad records are dropped and counted
  bool fail_on_bad_record = false;           // a bad record fails the job (no dead letter)
  Duration commit_interval{5000};            // 0: commit only on close / commit_offsets()
  Duration metadata_timeout{10000};          // waiting for topics and offsets at open
  Duration partition_discovery_interval{0};  // unbounded only; 0: the partitions of the start
  size_t max_records_per_poll = 500;
  // How long a poll waits for a record when the previous poll handed none on. After a poll
  // that handed records on, the next one does not wait: with nothing more fetched it returns
  // nothing_available at once, so the task sends its partly filled batch downstream.
  Duration poll_wait{100};
  std::string client_id = "sluice-source";  // "-<subtask index>" is appended
  // Commit offsets to the group only when a checkpoint completes (jobs that checkpoint).
  bool commit_offsets_on_checkpoints = false;
};

// What a source with fail_on_bad_record() throws at the first bad record.
class BadRecordError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "bad record in clicks-1 at offset 12 (value \"...\"): reason", with the first 200 bytes of
// the value (control bytes as '?').
inline std::string bad_record_message(const KafkaRecordView& r, const std::string& reason) {
  std::string value = "null";
  if (r.value) {
    value = "\"";
    for (char c : r.value->substr(0, 200)) value += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
    value += r.value->size() > 200 ? "...\"" : "\"";
  }
  return "bad record in " + std::string(r.topic) + "-" + std::to_string(r.partition) + " at offset " +
         std::to_string(r.offset) + " (value " + value + "): " + reason;
}

// Throws std::invalid_argument for settings a source cannot run with.
void validate(const KafkaSourceSettings& settings);

struct KafkaSourceMetrics {
  uint64_t records = 0;        // handed to the deserializer
  uint64_t emitted = 0;        // collected into the stream
  uint64_t bytes = 0;          // key + value bytes read
  uint64_t skipped = 0;        // Deserialized::skip
  uint64_t dead_lettered = 0;  // bad records sent to the dead-letter topic
  uint64_t dropped = 0;        // bad records dropped (no dead-letter topic)
  uint64_t commits = 0;        // offset commits sent
};

namespace detail {

// A non-owning reference to a callable, for the non-template reader core's callbacks.
template <class Sig>
class FunctionRef;
template <class R, class... A>
class FunctionRef<R(A...)> {
 public:
  template <class F>
  FunctionRef(F& f)  // NOLINT: implicit on purpose
      : obj_(&f),
        call_([](void* o, A... a) -> R { return (*static_cast<F*>(o))(std::forward<A>(a)...); }) {}
  R operator()(A... a) const { return call_(obj_, std::forward<A>(a)...); }

 private:
  void* obj_;
  R (*call_)(void*, A...);
};

// The librdkafka side of one source subtask (src/connectors/kafka_source_reader.cpp): split
// discovery, starting offsets, the consumer, bounded ends, commits, the dead-letter producer.
// Used by one thread.
class KafkaReaderCore {
 public:
  KafkaReaderCore(KafkaSourceSettings settings, SubtaskInfo subtask,
                  std::vector<PartitionOffset> restored);
  ~KafkaReaderCore();
  KafkaReaderCore(const KafkaReaderCore&) = delete;
  KafkaReaderCore& operator=(const KafkaReaderCore&) = delete;

  void open();
  // Hands up to max_records_per_poll records to on_record (which calls reject() for a bad
  // one) and reports finished splits. Waits up to poll_wait for the first record, and not
  // at all right after a poll that handed records on.
  // The first poll declares every assigned split (on_register) before anything else.
  SourceStatus poll(FunctionRef<void(const KafkaRecordView&, int split)> on_record,
                    FunctionRef<void(int split)> on_register,
                    FunctionRef<void(int split)> on_finished);
  void reject(const KafkaRecordView& record, const std::string& reason);
  void skipped();  // the deserializer skipped the record on purpose
  std::vector<PartitionOffset> current_offsets() const;
  void commit_offsets(const std::vector<PartitionOffset>& offsets);
  // Checkpoints: the offsets as a blob, the union of every old subtask's blob (before open),
  // and the commit of checkpoint `id`'s offsets. Throws CorruptStateError for a bad blob.
  std::string snapshot(CheckpointId id);
  void restore(const std::vector<std::string_view>& states);
  void checkpoint_complete(CheckpointId id);
  void close();

  const std::vector<AssignedPartition>& partitions() const;
  // Per assigned partition: the offset it started at and (bounded) where it stops.
  std::vector<std::pair<PartitionOffset, int64_t>> start_and_end() const;
  const KafkaSourceMetrics& metrics() const;

  struct State;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace detail

// One subtask's reader. Besides SourceReader, the hooks for checkpoints.
template <class T>
class KafkaSourceReader final : public SourceReader<T> {
 public:
  KafkaSourceReader(KafkaSourceSettings settings, KafkaDeserializer<T> deserializer,
                    SubtaskInfo subtask, std::vector<PartitionOffset> restored)
      : deserializer_(std::move(deserializer)),
        fail_on_bad_record_(settings.fail_on_bad_record),
        core_(std::move(settings), std::move(subtask), std::move(restored)) {}

  // Finds the partitions, resolves starting (and, bounded, end) offsets and assigns them.
  // Throws KafkaConnectorError when a topic does not exist or nothing answers in time.
  void open() override { core_.open(); }

  SourceStatus poll(SourceOutput<T>& output) override {
    auto on_record = [&](const KafkaRecordView& r, int split) {
      std::optional<Deserialized<T>> d;
      try {
        d.emplace(deserializer_(r));
      } catch (const std::exception& e) {
        d.emplace(Deserialized<T>::bad(e.what()));
      }
      if (d->is_ok()) {
        output.collect(std::move(d->value()), r.timestamp, split);
      } else if (d->is_bad()) {
        if (fail_on_bad_record_) throw BadRecordError(bad_record_message(r, d->reason()));
        core_.reject(r, d->reason());
      } else {
        core_.skipped();
      }
    };
    auto on_register = [&](int split) { output.register_split(split); };
    auto on_finished = [&](int split) { output.finish_split(split); };
    return core_.poll(on_record, on_register, on_finished);
  }

  // Commits what was emitted (asynchronously, best effort; not when the reader takes part in
  // checkpoints), waits up to 30 s for the dead letters in flight, and closes the clients.
  void close() override { core_.close(); }

  // The next offset of every assigned partition (after the dead letters sent so far are
  // acknowledged: throws KafkaConnectorError if one failed, which declines the checkpoint).
  std::string snapshot_state(CheckpointId id) override { return core_.snapshot(id); }
  // Before open(): the partitions this reader owns start at the offsets saved by any subtask.
  void restore_state(const std::vector<std::string_view>& states) override { core_.restore(states); }
  // Commits checkpoint `id`'s offsets to the group id (asynchronously).
  void notify_checkpoint_complete(CheckpointId id) override { core_.checkpoint_complete(id); }

  // The next offset of every assigned partition (checkpoints). Waits until the records sent
  // to the dead-letter topic so far are acknowledged, so that the offsets never pass a
  // bad record whose dead letter could still be lost; throws KafkaConnectorError if one failed.
  std::vector<PartitionOffset> current_offsets() const { return core_.current_offsets(); }
  // Commits `offsets` to the group id (when a checkpoint completes). Asynchronous.
  void commit_offsets(const std::vector<PartitionOffset>& offsets) {
    core_.commit_offsets(offsets);
  }

  const std::vector<AssignedPartition>& partitions() const { return core_.partitions(); }
  const KafkaSourceMetrics& metrics() const { return core_.metrics(); }

 private:
  KafkaDeserializer<T> deserializer_;
  bool fail_on_bad_record_ = false;
  mutable detail::KafkaReaderCore core_;
};

template <class T>
class KafkaSource final : public Source<T> {
 public:
  class Builder {
   public:
    Builder& bootstrap_servers(std::string servers) {
      s_.bootstrap_servers = std::move(servers);
      return *this;
    }
    Builder& topics(std::vector<std::string> topics) {
      s_.topics = std::move(topics);
      return *this;
    }
    Builder& topic(std::string topic) {
      s_.topics.push_back(std::move(topic));
      return *this;
    }
    Builder& topic_pattern(std::string regex) {
      s_.topic_pattern = std::move(regex);
      return *this;
    }
    Builder& group_id(std::string id) {
      s_.group_id = std::move(id);
      return *this;
    }
    // Default: committed (earliest when none) with a group id, earliest without one.
    Builder& starting_offsets(StartingOffsets o) {
      s_.starting_offsets = std::move(o);
      offsets_set_ = true;
      return *this;
    }
    Builder& deserializer(KafkaDeserializer<T> d) {
      d_ = std::move(d);
      return *this;
    }
    // Stop at the end offsets of when the reader opens.
    Builder& bounded(bool b = true) {
      s_.bounded = b;
      return *this;
    }
    // A librdkafka property for the reader's consumer; it wins over the source's own
    // settings (auto.offset.reset from the starting offsets, queued.min.messages=1000000).
    Builder& property(std::string key, std::string value) {
      s_.properties.emplace_back(std::move(key), std::move(value));
      return *this;
    }
    Builder& dead_letter_topic(std::string topic) {
      s_.dead_letter_topic = std::move(topic);
      return *this;
    }
    // The first bad record fails the job (BadRecordError) instead of going to the
    // dead-letter topic or being dropped.
    Builder& fail_on_bad_record(bool b = true) {
      s_.fail_on_bad_record = b;
      return *this;
    }
    Builder& commit_interval(Duration d) {
      s_.commit_interval = d;
      return *this;
    }
    Builder& metadata_timeout(Duration d) {
      s_.metadata_timeout = d;
      return *this;
    }
    // Look for new partitions (and topics matching the pattern) this often; 0: never.
    Builder& partition_discovery_interval(Duration d) {
      s_.partition_discovery_interval = d;
      return *this;
    }
    Builder& max_records_per_poll(size_t n) {
      s_.max_records_per_poll = n;
      return *this;
    }
    // How long a poll with nothing fetched waits for the first record (default 100 ms).
    Builder& poll_wait(Duration d) {
      s_.poll_wait = d;
      return *this;
    }
    Builder& client_id(std::string id) {
      s_.client_id = std::move(id);
      return *this;
    }
    // Commit offsets to the group only when a checkpoint completes (set by jobs that
    // checkpoint, so that the group never runs ahead of a checkpoint).
    Builder& commit_offsets_on_checkpoints(bool b = true) {
      s_.commit_offsets_on_checkpoints = b;
      return *this;
    }

    // Throws std::invalid_argument naming what is missing or contradictory.
    KafkaSource build() const {
      KafkaSourceSettings s = s_;
      if (!offsets_set_ && s.group_id.empty()) s.starting_offsets = StartingOffsets::earliest();
      validate(s);
      KafkaDeserializer<T> d = d_;
      if (!d) {
        if constexpr (std::is_same_v<T, std::string>) {
          d = string_deserializer();
        } else if constexpr (std::is_same_v<T, KafkaRecord>) {
          d = record_deserializer();
        } else if constexpr (std::is_same_v<T, Bytes>) {
          d = bytes_deserializer();
        } else {
          throw std::invalid_argument(
              "KafkaSource: no deserializer; call .deserializer(...) (e.g. "
              "json_deserializer<T>(from_json))");
        }
      }
      return KafkaSource(std::move(s), std::move(d));
    }

   private:
    KafkaSourceSettings s_;
    KafkaDeserializer<T> d_;
    bool offsets_set_ = false;
  };

  static Builder builder() { return Builder(); }

  std::unique_ptr<SourceReader<T>> create_reader(const SubtaskInfo& subtask) override {
    return make_reader(subtask);
  }
  // The same, typed (tests and checkpoints use the offset hooks).
  std::unique_ptr<KafkaSourceReader<T>> make_reader(const SubtaskInfo& subtask) const {
    return std::make_unique<KafkaSourceReader<T>>(settings_, deserializer_, subtask, restored_);
  }
  bool bounded() const override { return settings_.bounded; }

  // Readers created afterwards start these partitions at these offsets, whatever the
  // starting offsets say (restoring a checkpoint).
  void restore_offsets(std::vector<PartitionOffset> offsets) { restored_ = std::move(offsets); }

  const KafkaSourceSettings& settings() const { return settings_; }

 private:
  KafkaSource(KafkaSourceSettings s, KafkaDeserializer<T> d)
      : settings_(std::move(s)), deserializer_(std::move(d)) {}

  KafkaSourceSettings settings_;
  KafkaDeserializer<T> deserializer_;
  std::vector<PartitionOffset> restored_;
};

}  // namespace sluice
