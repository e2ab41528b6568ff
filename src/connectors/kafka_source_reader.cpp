// The librdkafka side of KafkaSourceReader: which partitions, from where to where, and the
// consume loop. See include/sluice/kafka_source.h for the contract.
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "kafka/client/consumer.h"
#include "kafka/client/error.h"
#include "kafka/client/producer.h"
#include "kafka/client/topic_partition_list.h"
#include "sluice/kafka_source.h"
#include "sluice/serializer.h"

namespace sluice {

namespace client = kafka::client;
using Clock = std::chrono::steady_clock;

std::vector<AssignedPartition> assign_partitions(std::vector<KafkaTopicPartition> all, int index,
                                                 int parallelism) {
  if (parallelism <= 0 || index < 0 || index >= parallelism) {
    throw std::invalid_argument("assign_partitions: subtask " + std::to_string(index) + " of " +
                                std::to_string(parallelism) + " does not exist");
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::vector<AssignedPartition> mine;
  for (size_t i = 0; i < all.size(); ++i) {
    if (static_cast<int>(i % static_cast<size_t>(parallelism)) == index) {
      mine.push_back({all[i], static_cast<int>(i)});
    }
  }
  return mine;
}

int new_partition_owner(const KafkaTopicPartition& tp, int parallelism) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a of the topic name
  for (const unsigned char c : tp.topic) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  h = h * 31 + static_cast<uint64_t>(tp.partition);
  return static_cast<int>(h % static_cast<uint64_t>(std::max(1, parallelism)));
}

void validate(const KafkaSourceSettings& s) {
  if (s.bootstrap_servers.empty()) {
    throw std::invalid_argument("KafkaSource: bootstrap servers are empty; pass host:port");
  }
  if (s.topics.empty() == s.topic_pattern.empty()) {
    throw std::invalid_argument(
        "KafkaSource: give either topics (.topics / .topic) or a topic pattern, not both and "
        "not neither");
  }
  if (!s.topic_pattern.empty()) {
    try {
      std::regex re(s.topic_pattern);
    } catch (const std::regex_error& e) {
      throw std::invalid_argument("KafkaSource: topic pattern \"" + s.topic_pattern +
                                  "\" is not a valid regular expression: " + e.what());
    }
  }
  using Kind = StartingOffsets::Kind;
  if (s.starting_offsets.kind() == Kind::committed && s.group_id.empty()) {
    throw std::invalid_argument(
        "KafkaSource: starting offsets 'committed' need a group id; set .group_id(...) or start "
        "from earliest / latest");
  }
  const auto fb = s.starting_offsets.fallback();
  if (fb != Kind::earliest && fb != Kind::latest) {
    throw std::invalid_argument(
        "KafkaSource: the fallback of starting offsets must be earliest or latest");
  }
  if (s.max_records_per_poll == 0)
    throw std::invalid_argument("KafkaSource: max_records_per_poll must be > 0");
  if (s.poll_wait.count() < 0 || s.poll_wait.count() > std::numeric_limits<int>::max())
    throw std::invalid_argument("KafkaSource: poll_wait must be >= 0 and fit in an int of ms");
}

namespace detail {

namespace {

struct Split {
  AssignedPartition ap;
  int64_t start = 0;
  int64_t end = -1;  // bounded: the first offset not to read; -1: unbounded
  int64_t next = 0;  // the offset after the last record handed on
  int64_t committed = -1;
  bool from_beginning = false;  // found by discovery, no record yet: next is not known
  bool finished = false;
  bool finish_reported = false;
};

std::string describe_subtask(const SubtaskInfo& t) {
  return (t.operator_name.empty() ? std::string("Kafka source") : t.operator_name) + " (subtask " +
         std::to_string(t.index) + "/" + std::to_string(t.parallelism) + ")";
}

}  // namespace

struct KafkaReaderCore::State {
  KafkaSourceSettings settings;
  SubtaskInfo subtask;
  std::vector<PartitionOffset> restored;
  std::string name;

  std::vector<AssignedPartition> assigned;
  std::vector<Split> splits;
  std::map<std::string, std::map<int32_t, size_t>, std::less<>>
      index;                                   // topic -> partition -> split
  const rd_kafka_topic_t* last_rkt = nullptr;  // one-entry cache of the index's topic lookup
  const std::map<int32_t, size_t>* last_partitions = nullptr;

  std::unique_ptr<client::Consumer> consumer;
  std::unique_ptr<client::Producer> dlq;
  uint64_t dlq_failed_seen = 0;
  KafkaSourceMetrics metrics;
  std::map<std::string, Clock::time_point> last_warned;  // consumer error text -> last logged
  Clock::time_point last_commit = Clock::now();
  size_t unfinished = 0;

  // Partition discovery: the thread asks for metadata every interval and leaves what matches
  // in `discovered`; poll() adopts it.
  std::set<KafkaTopicPartition> known;
  int next_split = 0;
  std::thread discoverer;
  std::mutex discovery_mutex;
  std::condition_variable discovery_cv;
  bool stop_discovery = false;
  std::optional<std::vector<KafkaTopicPartition>> discovered;

  bool opened = false;
  bool registered = false;
  // The last poll handed records on: the next one does not block, so that when nothing
  // more has arrived it says so at once and the task sends what it holds downstream
  // (SourceStatus::nothing_available flushes the task's outputs).
  bool handed_last_poll = false;
  bool closed = false;
  // Checkpoints: once true, offsets are committed only when a checkpoint completes.
  bool checkpointing = false;
  std::map<CheckpointId, std::vector<PartitionOffset>> snapshots;  // taken, not yet complete

  client::Config config(bool consumer_role) const {
    client::Config c;
    c.set("bootstrap.servers", settings.bootstrap_servers);
    c.set("client.id", settings.client_id + "-" + std::to_string(subtask.index));
    if (consumer_role) {
      if (!settings.group_id.empty()) c.set("group.id", settings.group_id);
      const bool latest = settings.starting_offsets.fallback() == StartingOffsets::Kind::latest;
      c.set("auto.offset.reset", latest ? "latest" : "earliest");
      // librdkafka 2.0 stops fetching a partition while its prefetch queue holds more than
      // queued.min.messages (default 100,000) and looks again only about once a second: a
      // reader that takes 100,000 small records in well under a second then waits out the
      // rest of it (click-count spent ~80 % of its wall time there, at ~18 % of one core;
      // bench/results/seed_jobs_fetch_queue.md). A million keeps the queue from running dry
      // between looks; memory stays bounded by queued.max.messages.kbytes (64 MiB per
      // partition). A user's property (below) wins.
      c.set("queued.min.messages", "1000000");
    } else {
      c.set("acks", "all");
      c.set("enable.idempotence", "true");
    }
    for (const auto& [k, v] : settings.properties) {
      // Consumer-only properties make a producer warn; keep the connection ones.
      if (!consumer_role &&
          (k == "group.id" || k.starts_with("fetch.") || k == "auto.offset.reset" ||
           k == "isolation.level" || k.starts_with("enable.auto") || k.starts_with("queued.") ||
           k == "enable.partition.eof")) {
        continue;
      }
      c.set(k, v);
    }
    return c;
  }

  std::vector<KafkaTopicPartition> discover() {
    auto& handle = consumer->handle();
    const auto deadline = Clock::now() + settings.metadata_timeout;
    std::vector<KafkaTopicPartition> all;
    if (!settings.topic_pattern.empty()) {
      const std::regex re(settings.topic_pattern);
      const auto md = handle.metadata("", settings.metadata_timeout);
      for (const auto& t : md.topics) {
        if (t.name.starts_with("__") || !std::regex_match(t.name, re) || t.error) continue;
        for (const auto& p : t.partitions) all.push_back({t.name, p.id});
      }
      if (all.empty()) {
        spdlog::warn(
            "{}: no topic matches the pattern \"{}\"; reading nothing (topics created "
            "later are not picked up)",
            name, settings.topic_pattern);
      }
      return all;
    }
    for (const auto& topic : settings.topics) {
      for (;;) {
        const auto md = handle.metadata(topic, settings.metadata_timeout);
        const auto* t = md.find(topic);
        if (t != nullptr && !t->error && !t->partitions.empty()) {
          for (const auto& p : t->partitions) all.push_back({topic, p.id});
          break;
        }
        if (Clock::now() >= deadline) {
          const std::string why = t == nullptr ? "not in the metadata" : t->error.describe();
          throw KafkaConnectorError(name + ": topic \"" + topic + "\" does not exist at " +
                                    settings.bootstrap_servers + " (" + why +
                                    "); create it first, e.g. `sluice topic create " + topic + "`");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
    return all;
  }

  // The partitions of `md` this source reads (no waiting, no errors: discovery).
  std::vector<KafkaTopicPartition> matching(const client::ClusterMetadata& md) const {
    std::vector<KafkaTopicPartition> all;
    std::optional<std::regex> re;
    if (!settings.topic_pattern.empty()) re.emplace(settings.topic_pattern);
    for (const auto& t : md.topics) {
      if (t.error) continue;
      const bool wanted = re ? !t.name.starts_with("__") && std::regex_match(t.name, *re)
                             : std::find(settings.topics.begin(), settings.topics.end(), t.name) !=
                                   settings.topics.end();
      if (!wanted) continue;
      for (const auto& p : t.partitions) all.push_back({t.name, p.id});
    }
    return all;
  }

  void discovery_loop() {
    const auto timeout = std::min<Duration>(settings.metadata_timeout, Duration(5000));
    std::unique_lock lock(discovery_mutex);
    while (!stop_discovery) {
      discovery_cv.wait_for(lock, settings.partition_discovery_interval,
                            [&] { return stop_discovery; });
      if (stop_discovery) break;
      lock.unlock();
      std::optional<std::vector<KafkaTopicPartition>> found;
      try {
        found = matching(consumer->handle().metadata("", timeout));
      } catch (const client::ClientError& e) {
        spdlog::debug("{}: partition discovery: {}", name, e.what());
      }
      lock.lock();
      if (found) discovered = std::move(found);
    }
  }

  void stop_discoverer() {
    {
      std::lock_guard lock(discovery_mutex);
      stop_discovery = true;
    }
    discovery_cv.notify_all();
    if (discoverer.joinable()) discoverer.join();
  }

  // Takes on the partitions discovery found that are new and ours; declares them as splits.
  void adopt_discovered(FunctionRef<void(int)> on_register) {
    std::optional<std::vector<KafkaTopicPartition>> found;
    {
      std::lock_guard lock(discovery_mutex);
      found.swap(discovered);
    }
    if (!found) return;
    std::sort(found->begin(), found->end());
    bool added = false;
    for (const auto& tp : *found) {
      if (!known.insert(tp).second) continue;
      if (new_partition_owner(tp, subtask.parallelism) != subtask.index) continue;
      Split sp;
      sp.ap = {tp, next_split++};
      sp.from_beginning = true;
      for (const auto& o : restored) {  // found by an earlier run too: go on from its checkpoint
        if (o.topic == tp.topic && o.partition == tp.partition) {
          sp.from_beginning = false;
          sp.start = sp.next = o.offset;
        }
      }
      splits.push_back(sp);
      assigned.push_back(sp.ap);
      index[tp.topic][tp.partition] = splits.size() - 1;
      ++unfinished;
      added = true;
      on_register(sp.ap.split);
      spdlog::info("{}: found partition {}; reading it from its beginning as split {}", name,
                   tp.str(), sp.ap.split);
    }
    if (!added) return;
    std::vector<client::PartitionStart> starts;
    for (const auto& sp : splits) {
      if (sp.finished) continue;
      starts.push_back({sp.ap.tp.topic, sp.ap.tp.partition,
                        sp.from_beginning ? RD_KAFKA_OFFSET_BEGINNING : sp.next});
    }
    consumer->assign(starts);  // from where each split stands: nothing is read twice
    last_rkt = nullptr;
    last_partitions = nullptr;
  }

  // The group's committed next-offsets of our partitions (-1: none).
  std::vector<int64_t> committed_offsets() {
    auto list = client::make_topic_partition_list(static_cast<int>(splits.size()));
    for (const auto& s : splits) {
      rd_kafka_topic_partition_list_add(list.get(), s.ap.tp.topic.c_str(), s.ap.tp.partition);
    }
    const auto err = rd_kafka_committed(consumer->handle().get(), list.get(),
                                        static_cast<int>(settings.metadata_timeout.count()));
    if (err) {
      throw KafkaConnectorError(name + ": cannot read the committed offsets of group \"" +
                                settings.group_id + "\": " + rd_kafka_err2str(err) + ". " +
                                consumer->handle().last_error());
    }
    std::vector<int64_t> out;
    for (int i = 0; i < list->cnt; ++i) {
      const auto& e = list->elems[i];
      out.push_back(e.err ? -1 : e.offset);
    }
    return out;
  }

  void resolve_offsets() {
    using Kind = StartingOffsets::Kind;
    auto& handle = consumer->handle();
    const auto& so = settings.starting_offsets;
    std::vector<client::Watermarks> marks;
    for (const auto& s : splits) {
      marks.push_back(
          handle.watermarks(s.ap.tp.topic, s.ap.tp.partition, settings.metadata_timeout));
    }
    std::vector<int64_t> starts(splits.size(), -1);
    auto fallback = [&](size_t i) {
      return so.fallback() == Kind::latest ? marks[i].high : marks[i].low;
    };
    switch (so.kind()) {
      case Kind::earliest:
        for (size_t i = 0; i < splits.size(); ++i) starts[i] = marks[i].low;
        break;
      case Kind::latest:
        for (size_t i = 0; i < splits.size(); ++i) starts[i] = marks[i].high;
        break;
      case Kind::committed: {
        const auto committed = committed_offsets();
        for (size_t i = 0; i < splits.size(); ++i) {
          starts[i] = committed[i] >= 0 ? committed[i] : fallback(i);
        }
        break;
      }
      case Kind::timestamp: {
        std::map<std::string, std::vector<size_t>> by_topic;
        for (size_t i = 0; i < splits.size(); ++i) by_topic[splits[i].ap.tp.topic].push_back(i);
        for (const auto& [topic, idx] : by_topic) {
          std::vector<int32_t> parts;
          for (auto i : idx) parts.push_back(splits[i].ap.tp.partition);
          const auto offs =
              handle.offsets_for_times(topic, parts, so.timestamp_ms(), settings.metadata_timeout);
          for (size_t k = 0; k < idx.size(); ++k) {
            starts[idx[k]] = offs[k] >= 0 ? offs[k] : marks[idx[k]].high;
          }
        }
        break;
      }
      case Kind::specific:
        for (size_t i = 0; i < splits.size(); ++i) starts[i] = fallback(i);
        apply(so.offsets(), starts);
        break;
    }
    apply(restored, starts);
    for (size_t i = 0; i < splits.size(); ++i) {
      auto& s = splits[i];
      // An offset the partition no longer (or not yet) has: the nearest end, as Kafka's reset.
      s.start = std::clamp(starts[i], marks[i].low, marks[i].high);
      s.next = s.start;
      if (settings.bounded) {
        s.end = marks[i].high;
        s.finished = s.next >= s.end;
      }
    }
  }

  void apply(const std::vector<PartitionOffset>& given, std::vector<int64_t>& starts) const {
    for (const auto& o : given) {
      for (size_t i = 0; i < splits.size(); ++i) {
        if (splits[i].ap.tp.topic == o.topic && splits[i].ap.tp.partition == o.partition) {
          starts[i] = o.offset;
        }
      }
    }
  }

  Split* find(const rd_kafka_message_t* m) {
    if (m->rkt != last_rkt) {
      const char* topic = rd_kafka_topic_name(m->rkt);
      auto it = index.find(std::string_view(topic));
      if (it == index.end()) return nullptr;
      last_rkt = m->rkt;
      last_partitions = &it->second;
    }
    auto it = last_partitions->find(m->partition);
    return it == last_partitions->end() ? nullptr : &splits[it->second];
  }

  void finish(Split& s) {
    if (s.finished) return;
    s.finished = true;
    auto list = client::make_topic_partition_list(1);
    rd_kafka_topic_partition_list_add(list.get(), s.ap.tp.topic.c_str(), s.ap.tp.partition);
    rd_kafka_pause_partitions(consumer->handle().get(), list.get());
  }

  void check_dlq() {
    if (!dlq) return;
    dlq->poll(std::chrono::milliseconds(0));
    throw_dlq_failures();
  }

  void throw_dlq_failures() {
    const auto& c = dlq->counts();
    if (c.failed == dlq_failed_seen) return;
    dlq_failed_seen = c.failed;
    std::string what;
    for (const auto& [err, n] : c.failures)
      what += (what.empty() ? "" : "; ") + err + " (x" + std::to_string(n) + ")";
    throw KafkaConnectorError(name + ": records could not be written to the dead-letter topic \"" +
                              settings.dead_letter_topic + "\": " + what +
                              ". Check that the topic exists and the broker is reachable.");
  }

  void flush_dlq() {
    if (!dlq) return;
    if (!dlq->flush(std::chrono::seconds(30))) {
      throw KafkaConnectorError(
          name + ": " + std::to_string(dlq->in_flight()) + " records to the dead-letter topic \"" +
          settings.dead_letter_topic + "\" were not acknowledged within 30 s. " +
          dlq->handle().last_error());
    }
    throw_dlq_failures();
  }

  std::vector<PartitionOffset> offsets() const {
    std::vector<PartitionOffset> out;
    out.reserve(splits.size());
    for (const auto& s : splits) out.push_back({s.ap.tp.topic, s.ap.tp.partition, s.next});
    return out;
  }

  // Commits the offsets that moved since the last commit. sync: waits for the answer.
  void commit_changed(bool sync) {
    if (settings.group_id.empty() || !consumer || checkpointing) return;
    std::vector<PartitionOffset> changed;
    for (auto& s : splits) {
      if (s.next != s.committed && s.next > s.start)
        changed.push_back({s.ap.tp.topic, s.ap.tp.partition, s.next});
    }
    if (changed.empty()) return;
    flush_dlq();  // never commit past a dead letter that could still be lost
    commit(changed, sync);
  }

  void commit(const std::vector<PartitionOffset>& offs, bool sync) {
    if (settings.group_id.empty() || offs.empty()) return;
    auto list = client::make_topic_partition_list(static_cast<int>(offs.size()));
    for (const auto& o : offs) {
      rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition)->offset =
          o.offset;
    }
    const auto err = rd_kafka_commit(consumer->handle().get(), list.get(), sync ? 0 : 1);
    ++metrics.commits;
    if (err) {
      spdlog::warn(
          "{}: committing offsets to group \"{}\" failed: {} (the job goes on; lag "
          "shown for the group may be stale)",
          name, settings.group_id, rd_kafka_err2str(err));
      return;
    }
    for (const auto& o : offs) {
      for (auto& s : splits) {
        if (s.ap.tp.topic == o.topic && s.ap.tp.partition == o.partition) s.committed = o.offset;
      }
    }
  }
};

KafkaReaderCore::KafkaReaderCore(KafkaSourceSettings settings, SubtaskInfo subtask,
                                 std::vector<PartitionOffset> restored)
    : s_(std::make_unique<State>()) {
  s_->settings = std::move(settings);
  s_->subtask = std::move(subtask);
  s_->restored = std::move(restored);
  s_->name = describe_subtask(s_->subtask);
  s_->checkpointing = s_->settings.commit_offsets_on_checkpoints;
}

KafkaReaderCore::~KafkaReaderCore() {
  try {
    close();
  } catch (const std::exception& e) {
    spdlog::error("{}: closing: {}", s_->name, e.what());
  }
}

void KafkaReaderCore::open() {
  auto& s = *s_;
  if (s.opened) return;
  s.opened = true;
  try {
    s.consumer = std::make_unique<client::Consumer>(s.config(true));
    const auto all = s.discover();
    s.known.insert(all.begin(), all.end());
    s.next_split = static_cast<int>(s.known.size());
    s.assigned = assign_partitions(all, s.subtask.index, s.subtask.parallelism);
    for (size_t i = 0; i < s.assigned.size(); ++i) {
      s.splits.push_back(Split{.ap = s.assigned[i]});
      s.index[s.assigned[i].tp.topic][s.assigned[i].tp.partition] = i;
    }
    s.resolve_offsets();
  } catch (const client::ClientError& e) {
    throw KafkaConnectorError(s.name + ": " + e.what());
  }
  std::vector<client::PartitionStart> starts;
  for (const auto& sp : s.splits) {
    if (!sp.finished) starts.push_back({sp.ap.tp.topic, sp.ap.tp.partition, sp.next});
    s.unfinished += sp.finished ? 0 : 1;
  }
  if (!starts.empty()) s.consumer->assign(starts);
  if (!s.settings.dead_letter_topic.empty()) {
    s.dlq = std::make_unique<client::Producer>(s.config(false));
  }
  std::string plan;
  for (const auto& sp : s.splits) {
    plan += " " + sp.ap.tp.str() + "@" + std::to_string(sp.start) +
            (sp.end >= 0 ? ".." + std::to_string(sp.end) : "");
  }
  spdlog::debug("{}: reading{}", s.name, plan.empty() ? " nothing" : plan);
  if (!s.settings.bounded && s.settings.partition_discovery_interval.count() > 0) {
    s.discoverer = std::thread([st = s_.get()] { st->discovery_loop(); });
  }
}

SourceStatus KafkaReaderCore::poll(FunctionRef<void(const KafkaRecordView&, int)> on_record,
                                   FunctionRef<void(int)> on_register,
                                   FunctionRef<void(int)> on_finished) {
  auto& s = *s_;
  if (!s.opened) open();
  if (!s.registered) {
    s.registered = true;
    for (const auto& sp : s.splits) on_register(sp.ap.split);
  }
  s.adopt_discovered(on_register);
  auto report_finished = [&] {
    for (auto& sp : s.splits) {
      if (sp.finished && !sp.finish_reported) {
        sp.finish_reported = true;
        on_finished(sp.ap.split);
      }
    }
  };
  report_finished();
  if (s.settings.bounded && s.unfinished == 0) {
    s.flush_dlq();
    return SourceStatus::end_of_input;
  }
  s.check_dlq();
  if (s.unfinished == 0) {  // unbounded without partitions (yet): wait a little
    std::this_thread::sleep_for(std::min<Duration>(s.settings.poll_wait, Duration(100)));
    return SourceStatus::nothing_available;
  }

  rd_kafka_t* rk = s.consumer->handle().get();
  size_t handed = 0;
  // Waits (poll_wait) only when the previous poll found nothing: records handed on by the
  // previous poll may wait in the task's output batch until a poll says nothing_available,
  // and a waiting poll here would hold them until the next fetch.
  const int first_wait_ms =
      s.handed_last_poll ? 0 : static_cast<int>(s.settings.poll_wait.count());
  for (size_t n = 0; n < s.settings.max_records_per_poll; ++n) {
    client::Message msg(rd_kafka_consumer_poll(rk, n == 0 ? first_wait_ms : 0));
    if (!msg) break;
    const rd_kafka_message_t* m = msg.raw();
    if (m->err) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (Split* sp = s.find(m); sp && sp->end >= 0 && m->offset >= sp->end && !sp->finished) {
          s.finish(*sp);
          --s.unfinished;
        }
        continue;
      }
      char fatal[512];
      if (rd_kafka_fatal_error(rk, fatal, sizeof fatal)) {
        throw KafkaConnectorError(s.name + ": fatal Kafka error: " + fatal);
      }
      // Transient (a broker restarting, a connection cut): librdkafka retries. Logged at most
      // once per 10 s per error text so that an outage does not flood the log.
      const std::string text = msg.error().describe();
      const auto now = Clock::now();
      auto& last = s.last_warned[text];
      if (last == Clock::time_point{} || now - last >= std::chrono::seconds(10)) {
        last = now;
        spdlog::warn("{}: {} (librdkafka retries)", s.name, text);
      }
      continue;
    }
    Split* sp = s.find(m);
    if (sp == nullptr || sp->finished) continue;
    if (sp->end >= 0 && m->offset >= sp->end) {
      s.finish(*sp);
      --s.unfinished;
      continue;
    }
    rd_kafka_timestamp_type_t tstype;
    const int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    KafkaRecordView view;
    view.topic = rd_kafka_topic_name(m->rkt);
    view.partition = m->partition;
    view.offset = m->offset;
    view.timestamp = ts >= 0 ? ts : kNoTimestamp;
    if (m->key) view.key = std::string_view(static_cast<const char*>(m->key), m->key_len);
    if (m->payload) view.value = std::string_view(static_cast<const char*>(m->payload), m->len);
    view.raw = m;
    ++s.metrics.records;
    s.metrics.bytes += m->len + m->key_len;
    const uint64_t before = s.metrics.dead_lettered + s.metrics.dropped + s.metrics.skipped;
    on_record(view, sp->ap.split);
    if (s.metrics.dead_lettered + s.metrics.dropped + s.metrics.skipped == before)
      ++s.metrics.emitted;
    sp->next = m->offset + 1;
    sp->from_beginning = false;
    ++handed;
    if (sp->end >= 0 && sp->next >= sp->end) {
      s.finish(*sp);
      --s.unfinished;
    }
  }
  report_finished();
  if (s.settings.commit_interval.count() > 0 &&
      Clock::now() - s.last_commit >= s.settings.commit_interval) {
    s.last_commit = Clock::now();
    s.commit_changed(false);
  }
  if (s.settings.bounded && s.unfinished == 0) {
    s.flush_dlq();
    s.commit_changed(true);
    return SourceStatus::end_of_input;
  }
  s.handed_last_poll = handed > 0;
  return handed > 0 ? SourceStatus::more_available : SourceStatus::nothing_available;
}

void KafkaReaderCore::reject(const KafkaRecordView& r, const std::string& reason) {
  auto& s = *s_;
  if (!s.dlq) {
    ++s.metrics.dropped;
    if (s.metrics.dropped <= 10 || s.metrics.dropped % 1000 == 0) {
      spdlog::warn(
          "{}: dropped a bad record ({}-{} offset {}): {} [{} dropped so far; set a "
          "dead-letter topic to keep them]",
          s.name, r.topic, r.partition, r.offset, reason, s.metrics.dropped);
    }
    return;
  }
  std::vector<client::Header> headers;
  for (const auto& h : r.headers()) {
    headers.push_back({std::string(h.key),
                       h.value ? std::optional<std::string>(std::string(*h.value)) : std::nullopt});
  }
  headers.push_back({"error", reason});
  headers.push_back({"source.topic", std::string(r.topic)});
  headers.push_back({"source.partition", std::to_string(r.partition)});
  headers.push_back({"source.offset", std::to_string(r.offset)});
  client::OutgoingRecord out;
  out.topic = s.settings.dead_letter_topic;
  out.key = r.key;
  out.value = r.value;
  out.headers = &headers;
  out.timestamp_ms = r.timestamp == kNoTimestamp ? 0 : r.timestamp;
  if (const auto err = s.dlq->produce(out)) {
    throw KafkaConnectorError(s.name + ": cannot send a bad record to the dead-letter topic \"" +
                              s.settings.dead_letter_topic + "\": " + err.describe());
  }
  ++s.metrics.dead_lettered;
}

void KafkaReaderCore::skipped() {
  ++s_->metrics.skipped;
}

std::vector<PartitionOffset> KafkaReaderCore::current_offsets() const {
  s_->flush_dlq();
  return s_->offsets();
}

void KafkaReaderCore::commit_offsets(const std::vector<PartitionOffset>& offsets) {
  s_->commit(offsets, false);
}

namespace {
// The reader's checkpoint blob: a format version, then the offsets.
constexpr uint8_t kOffsetsFormat = 1;
}  // namespace

std::string KafkaReaderCore::snapshot(CheckpointId id) {
  auto& s = *s_;
  s.checkpointing = true;
  auto offsets = current_offsets();  // waits for the dead letters so far
  std::string blob;
  StateWriter w(blob);
  w.u8(kOffsetsFormat);
  write_value(w, offsets);
  s.snapshots[id] = std::move(offsets);
  // Only one checkpoint is in flight: older ones that never completed are gone for good.
  while (s.snapshots.size() > 4) s.snapshots.erase(s.snapshots.begin());
  return blob;
}

void KafkaReaderCore::restore(const std::vector<std::string_view>& states) {
  auto& s = *s_;
  if (s.opened) throw std::logic_error(s.name + ": restore after open");
  s.checkpointing = true;
  size_t n = 0;
  for (const auto blob : states) {
    if (blob.empty()) continue;  // a subtask that had no partitions
    StateReader r(blob);
    const uint8_t format = r.u8();
    if (format != kOffsetsFormat) {
      throw CorruptStateError(s.name + ": the checkpoint holds Kafka offsets in format " +
                              std::to_string(format) + ", and this version reads format " +
                              std::to_string(kOffsetsFormat));
    }
    auto offsets = read_value<std::vector<PartitionOffset>>(r);
    if (!r.done()) throw CorruptStateError(s.name + ": trailing bytes after the Kafka offsets");
    for (auto& o : offsets) {
      std::erase_if(s.restored, [&](const PartitionOffset& x) {
        return x.topic == o.topic && x.partition == o.partition;
      });
      s.restored.push_back(std::move(o));
      ++n;
    }
  }
  spdlog::debug("{}: restored offsets of {} partitions from {} subtasks", s.name, n, states.size());
}

void KafkaReaderCore::checkpoint_complete(CheckpointId id) {
  auto& s = *s_;
  auto it = s.snapshots.find(id);
  if (it != s.snapshots.end()) {
    // Every partition whose group offset differs (a partition found by discovery and not
    // read yet has no offset to commit).
    std::vector<PartitionOffset> moved;
    for (const auto& o : it->second) {
      for (const auto& sp : s.splits) {
        if (sp.ap.tp.topic == o.topic && sp.ap.tp.partition == o.partition && !sp.from_beginning &&
            o.offset != sp.committed)
          moved.push_back(o);
      }
    }
    if (s.consumer) s.commit(moved, false);
  }
  s.snapshots.erase(s.snapshots.begin(), s.snapshots.upper_bound(id));
}

void KafkaReaderCore::close() {
  auto& s = *s_;
  if (s.closed || !s.opened) {
    s.closed = true;
    return;
  }
  s.closed = true;
  s.stop_discoverer();
  try {
    // Asynchronous: a cancel must not wait on an unreachable group coordinator. (A bounded
    // reader already committed synchronously when it reached its end.)
    s.commit_changed(false);
  } catch (const KafkaConnectorError& e) {
    spdlog::error("{}: {}", s.name, e.what());
  }
  if (s.dlq) {
    try {
      s.flush_dlq();
    } catch (const KafkaConnectorError& e) {
      spdlog::error("{}: {}", s.name, e.what());
    }
    s.dlq.reset();
  }
  if (s.consumer) s.consumer->close();
  s.consumer.reset();
}

const std::vector<AssignedPartition>& KafkaReaderCore::partitions() const {
  return s_->assigned;
}

std::vector<std::pair<PartitionOffset, int64_t>> KafkaReaderCore::start_and_end() const {
  std::vector<std::pair<PartitionOffset, int64_t>> out;
  for (const auto& sp : s_->splits)
    out.push_back({{sp.ap.tp.topic, sp.ap.tp.partition, sp.start}, sp.end});
  return out;
}

const KafkaSourceMetrics& KafkaReaderCore::metrics() const {
  return s_->metrics;
}

}  // namespace detail
}  // namespace sluice
