// bench_group: consumer-group costs of `sluice broker` through librdkafka's high-level
// consumer (C API):
//   1. how long a 3-member group takes to hand out new assignments after one member leaves
//      (rd_kafka_consumer_close -> LeaveGroup), against the time one lone fresh member takes
//      to join (JoinGroup + SyncGroup) in the same run;
//   2. synchronous OffsetCommit requests per second, against Metadata round trips per second
//      on the same client in the same run, with the broker at --flush every-batch and 50ms.
// See bench/README.md for what the figures mean.
//
// Exit status: 0 when every phase ran, 1 when something failed outright (broker did not start
// or crashed, a group never became stable, a commit failed), 2 on bad flags.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/broker_process.h"
#include "support/disk_pump.h"
#include "support/kafka_clients.h"
#include "support/rdkafka_util.h"
#include "support/report.h"

namespace fs = std::filesystem;
using namespace sluice::bench;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kMembers = 3;
constexpr int kPartitions = 6;
constexpr int kSessionTimeoutMs = 6000;
constexpr int kHeartbeatMs = 500;

struct Options {
  fs::path sluice = default_sluice_path();
  int repeat = 5;
  double duration_s = 5;
  bool smoke = false;
  bool keep = false;
  std::string out;
};

const char* kUsage = R"(usage: bench_group [options]

Starts `sluice broker` on a free loopback port with a fresh data dir and measures, with
librdkafka high-level consumers: the rebalance time of a 3-member group after one member
leaves (vs a lone member's first join), and synchronous OffsetCommit requests per second
(vs Metadata round trips per second) at --flush every-batch and --flush 50ms.

  --sluice PATH            sluice binary (default: the sluice next to this build dir)
  --repeat N               rebalance measurements (default 5)
  --duration-seconds D     length of each commit / metadata loop (default 5)
  --out FILE               also write the markdown report to FILE
  --keep                   keep the brokers' temporary directories (data and log)
  --smoke                  tiny run (a few seconds) to keep the benchmark from rotting
)";

void parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (a == "--sluice") {
      o.sluice = value();
    } else if (a == "--repeat") {
      o.repeat = std::stoi(value());
    } else if (a == "--duration-seconds") {
      o.duration_s = std::stod(value());
    } else if (a == "--out") {
      o.out = value();
    } else if (a == "--keep") {
      o.keep = true;
    } else if (a == "--smoke") {
      o.smoke = true;
    } else {
      throw std::invalid_argument("unknown option " + a);
    }
  }
  if (o.smoke) {
    o.repeat = 1;
    o.duration_s = std::min(o.duration_s, 0.3);
  }
  if (o.repeat < 1 || o.duration_s <= 0) throw std::invalid_argument("--repeat and --duration-seconds must be positive");
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

void progress(const std::string& s) { std::cerr << "[bench] " << s << std::endl; }

// ---- group members ----

/// State shared by the members of one measurement; guarded by mu, changes signalled on cv.
struct GroupState {
  std::mutex mu;
  std::condition_variable cv;
};

/// One high-level consumer. It is the handle's opaque (through its ClientErrors base, which
/// make_client's error_cb uses), so rebalance_cb finds it. Its callbacks run on whichever
/// thread polls it: its poller thread, or the thread in rd_kafka_consumer_close.
struct Member : ClientErrors {
  GroupState* group = nullptr;
  KafkaPtr rk;
  int partitions = 0;       // in the current assignment (0 after a revoke)
  int assign_events = 0;    // ASSIGN_PARTITIONS callbacks so far
  Clock::time_point last_assign;
  std::atomic<bool> stop_polling{false};
  std::thread poller;
  bool closed = false;

  void start_polling() {
    poller = std::thread([this] {
      while (!stop_polling.load()) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 20);
        if (m) rd_kafka_message_destroy(m);  // the topic is empty; errors are in error_cb
      }
    });
  }
  void halt_polling() {
    stop_polling = true;
    if (poller.joinable()) poller.join();
  }
  void close() {
    halt_polling();
    if (rk && !closed) rd_kafka_consumer_close(rk.get());
    closed = true;
  }
  ~Member() { close(); }
};

void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* opaque) {
  auto now = Clock::now();
  auto* m = static_cast<Member*>(static_cast<ClientErrors*>(opaque));
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    rd_kafka_assign(rk, parts);
    std::lock_guard lock(m->group->mu);
    m->partitions = parts->cnt;
    ++m->assign_events;
    m->last_assign = now;
  } else {
    rd_kafka_assign(rk, nullptr);
    std::lock_guard lock(m->group->mu);
    m->partitions = 0;
  }
  m->group->cv.notify_all();
}

std::unique_ptr<Member> make_member(GroupState& group, const std::string& bootstrap, const std::string& group_id,
                                    int index) {
  auto m = std::make_unique<Member>();
  m->group = &group;
  m->rk = make_client(RD_KAFKA_CONSUMER,
                      {
                          {"bootstrap.servers", bootstrap},
                          {"client.id", "sluice-bench-member-" + std::to_string(index)},
                          {"group.id", group_id},
                          {"session.timeout.ms", std::to_string(kSessionTimeoutMs)},
                          {"heartbeat.interval.ms", std::to_string(kHeartbeatMs)},
                          {"partition.assignment.strategy", "range"},
                          {"enable.auto.commit", "false"},
                          {"enable.auto.offset.store", "false"},
                          {"enable.partition.eof", "false"},
                      },
                      m.get(), [](rd_kafka_conf_t* conf) { rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb); });
  rd_kafka_poll_set_consumer(m->rk.get());
  return m;
}

void subscribe(Member& m, const std::string& topic) {
  rd_kafka_topic_partition_list_t* sub = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(sub, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(m.rk.get(), sub);
  rd_kafka_topic_partition_list_destroy(sub);
  if (err) throw std::runtime_error(std::string("subscribe: ") + rd_kafka_err2str(err));
}

std::string describe(const std::vector<std::unique_ptr<Member>>& members) {
  std::string s;
  for (size_t i = 0; i < members.size(); ++i) {
    s += (i ? ", " : "") + std::string("member ") + std::to_string(i) + ": " +
         std::to_string(members[i]->partitions) + " partitions after " + std::to_string(members[i]->assign_events) +
         " assignments";
    if (!members[i]->seen.empty()) s += " (client errors: " + join(members[i]->seen) + ")";
  }
  return s;
}

/// A lone fresh member on a fresh group: ms from rd_kafka_subscribe to its assignment. The
/// client has already fetched metadata (so it is connected); librdkafka starts looking up
/// the coordinator when the handle is made, so this is mostly JoinGroup (twice: the first
/// answers MEMBER_ID_REQUIRED) + SyncGroup.
double lone_member_join_ms(const std::string& bootstrap, const std::string& topic, const std::string& group_id) {
  GroupState group;
  auto m = make_member(group, bootstrap, group_id, 0);
  std::string md = wait_for_metadata(m->rk.get(), topic, kPartitions, Clock::now() + 30s);
  if (!md.empty()) throw std::runtime_error("lone member: " + md);
  m->start_polling();
  auto t0 = Clock::now();
  subscribe(*m, topic);
  std::unique_lock lock(group.mu);
  if (!group.cv.wait_for(lock, 30s, [&] { return m->partitions == kPartitions; })) {
    throw std::runtime_error("lone member got no assignment of " + std::to_string(kPartitions) +
                             " partitions within 30 s (client errors: " + join(m->seen) + ")");
  }
  double ms = ms_between(t0, m->last_assign);
  lock.unlock();
  m->close();
  return ms;
}

struct LeaveResult {
  double rebalance_ms = 0;  // close() called -> both remaining members have 3 partitions
  double close_ms = 0;      // how long rd_kafka_consumer_close took
  double first_ms = 0;      // close() called -> the first remaining member's new assignment
};

/// `phase` is slept between the stable check and the leave: the stable check ends a whole
/// number of heartbeat intervals after the members' assignment (so in step with their
/// heartbeats), and the rounds spread the leave over the heartbeat interval with it.
LeaveResult member_leaves(const std::string& bootstrap, const std::string& topic, const std::string& group_id,
                          std::chrono::milliseconds phase) {
  GroupState group;
  std::vector<std::unique_ptr<Member>> members;
  for (int i = 0; i < kMembers; ++i) members.push_back(make_member(group, bootstrap, group_id, i));
  for (auto& m : members) {
    std::string md = wait_for_metadata(m->rk.get(), topic, kPartitions, Clock::now() + 30s);
    if (!md.empty()) throw std::runtime_error(md);
  }
  for (auto& m : members) {
    m->start_polling();
    subscribe(*m, topic);
  }

  // Stable: every member holds kPartitions / kMembers, and nothing changes for two heartbeats.
  const int share = kPartitions / kMembers;
  auto balanced = [&] {
    for (auto& m : members)
      if (m->partitions != share) return false;
    return true;
  };
  std::vector<int> events;
  {
    std::unique_lock lock(group.mu);
    auto deadline = Clock::now() + 60s;
    for (;;) {
      if (!group.cv.wait_until(lock, deadline, balanced)) {
        throw std::runtime_error("the 3-member group did not reach a stable assignment within 60 s: " +
                                 describe(members));
      }
      events.clear();
      for (auto& m : members) events.push_back(m->assign_events);
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(2 * kHeartbeatMs));
      lock.lock();
      bool same = balanced();
      for (size_t i = 0; i < members.size(); ++i) same = same && members[i]->assign_events == events[i];
      if (same) break;
    }
  }

  // Member 0 leaves: stop its poller first, so the clock covers close() and what follows.
  std::this_thread::sleep_for(phase);
  members[0]->halt_polling();
  LeaveResult r;
  auto t0 = Clock::now();
  members[0]->close();
  r.close_ms = ms_between(t0, Clock::now());
  const int new_share = kPartitions / (kMembers - 1);
  std::unique_lock lock(group.mu);
  bool done = group.cv.wait_for(lock, 30s, [&] {
    for (size_t i = 1; i < members.size(); ++i) {
      if (members[i]->assign_events <= events[i] || members[i]->partitions != new_share) return false;
    }
    return true;
  });
  if (!done) {
    throw std::runtime_error("the 2 remaining members did not get " + std::to_string(new_share) +
                             " partitions each within 30 s of the leave: " + describe(members));
  }
  Clock::time_point first = members[1]->last_assign, last = members[1]->last_assign;
  for (size_t i = 2; i < members.size(); ++i) {
    first = std::min(first, members[i]->last_assign);
    last = std::max(last, members[i]->last_assign);
  }
  r.rebalance_ms = ms_between(t0, last);
  r.first_ms = ms_between(t0, first);
  lock.unlock();
  for (auto& m : members) m->close();
  return r;
}

// ---- commits ----

struct CommitResult {
  std::string flush;
  double commits_s = 0, fetches_s = 0, metadata_s = 0, fsyncs_s = NAN;
  double broker_cpu = -1, client_cpu = -1;
  uint64_t commits = 0;
};

/// Calls fn() back to back for `duration`; returns calls per second.
template <class Fn>
double loop_rate(std::chrono::duration<double> duration, uint64_t& calls, Fn fn) {
  calls = 0;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration_cast<Clock::duration>(duration);
  Clock::time_point now;
  do {
    fn();
    ++calls;
    now = Clock::now();
  } while (now < deadline);
  return calls / std::chrono::duration<double>(now - start).count();
}

CommitResult commit_rate(const Options& opt, const std::string& flush, std::vector<std::string>& notes) {
  CommitResult res;
  res.flush = flush;
  BrokerProcess broker(opt.sluice, {"--flush", flush});
  if (opt.keep) broker.keep_dir();
  progress("starting broker --flush " + flush);
  broker.start();
  const std::string topic = "bench-commit";
  std::string err = create_topic(broker.bootstrap(), topic, 1);
  if (!err.empty()) throw std::runtime_error(err);

  GroupState group;
  auto m = make_member(group, broker.bootstrap(), "bench-commit-" + std::to_string(::getpid()), 0);
  std::string md = wait_for_metadata(m->rk.get(), topic, 1, Clock::now() + 30s);
  if (!md.empty()) throw std::runtime_error(md);
  subscribe(*m, topic);
  auto deadline = Clock::now() + 30s;
  while (m->partitions != 1) {  // the rebalance callback runs inside this poll
    if (Clock::now() > deadline) throw std::runtime_error("commit consumer got no assignment within 30 s");
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(m->rk.get(), 50);
    if (msg) rd_kafka_message_destroy(msg);
  }

  const auto d = std::chrono::duration<double>(opt.duration_s);
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(m->rk.get(), topic.c_str(), nullptr);
  uint64_t metadata_failures = 0;
  auto metadata_once = [&] {
    const rd_kafka_metadata_t* meta = nullptr;
    if (rd_kafka_metadata(m->rk.get(), 0, rkt, &meta, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_metadata_destroy(meta);
    } else {
      ++metadata_failures;
    }
  };
  uint64_t calls = 0;
  progress("--flush " + flush + ": metadata round trips");
  double md_before = loop_rate(d, calls, metadata_once);

  int64_t offset = 0;
  std::string commit_error;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_t* tp = rd_kafka_topic_partition_list_add(list, topic.c_str(), 0);
  uint64_t fetch_failures = 0;
  auto fetch_once = [&] {  // OffsetFetch through rd_kafka_committed: the same coordinator path, no write
    if (rd_kafka_committed(m->rk.get(), list, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR || tp->err) ++fetch_failures;
  };
  progress("--flush " + flush + ": OffsetFetch round trips");
  double fetch_before = loop_rate(d, calls, fetch_once);

  progress("--flush " + flush + ": synchronous commits");
  double cpu0 = broker.cpu_seconds(), self0 = self_cpu_seconds();
  auto c0 = Clock::now();
  res.commits_s = loop_rate(d, res.commits, [&] {
    tp->offset = ++offset;
    rd_kafka_resp_err_t e = rd_kafka_commit(m->rk.get(), list, 0);
    if (!e && tp->err) e = tp->err;
    if (e && commit_error.empty()) commit_error = "commit of offset " + std::to_string(offset) + ": " + rd_kafka_err2name(e);
  });
  double wall = std::chrono::duration<double>(Clock::now() - c0).count();
  res.broker_cpu = (broker.cpu_seconds() - cpu0) / wall;
  res.client_cpu = (self_cpu_seconds() - self0) / wall;

  progress("--flush " + flush + ": OffsetFetch round trips again");
  double fetch_after = loop_rate(d, calls, fetch_once);
  res.fetches_s = (fetch_before + fetch_after) / 2;
  progress("--flush " + flush + ": metadata round trips again");
  double md_after = loop_rate(d, calls, metadata_once);
  res.metadata_s = (md_before + md_after) / 2;

  // The last commit must be what the broker hands back.
  tp->offset = RD_KAFKA_OFFSET_INVALID;
  rd_kafka_resp_err_t e = rd_kafka_committed(m->rk.get(), list, 10000);
  if (commit_error.empty() && (e || tp->err || tp->offset != offset)) {
    commit_error = "OffsetFetch after the loop: " + std::string(rd_kafka_err2name(e ? e : tp->err)) + ", offset " +
                   std::to_string(tp->offset) + ", expected " + std::to_string(offset);
  }
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_topic_destroy(rkt);
  m->close();
  for (auto& n : m->seen) notes.push_back("--flush " + flush + " commit consumer: " + n);
  if (fetch_failures) notes.push_back("--flush " + flush + ": " + std::to_string(fetch_failures) + " OffsetFetch requests failed");
  if (metadata_failures) notes.push_back("--flush " + flush + ": " + std::to_string(metadata_failures) + " metadata requests failed");
  if (!commit_error.empty()) throw std::runtime_error("--flush " + flush + ": " + commit_error);

  if (flush == "every-batch") {  // the disk's floor: 4 KiB append + fdatasync, back to back
    progress("--flush " + flush + ": fdatasync pump");
    PumpResult p = disk_pump(broker.dir(), d, std::chrono::milliseconds(0), 4096);
    res.fsyncs_s = p.seconds > 0 ? p.bytes / 4096.0 / p.seconds : NAN;
  }
  bool clean = false;
  std::string end = broker.stop(&clean);
  if (!clean) throw std::runtime_error("broker --flush " + flush + " did not exit cleanly: " + end + "\n" + broker.log_tail());
  return res;
}

std::string stats_cells(std::vector<double> v) {
  if (v.empty()) return "— | — | —";
  return fmt("%.0f", *std::min_element(v.begin(), v.end())) + " | " + fmt("%.0f", median(v)) + " | " +
         fmt("%.0f", *std::max_element(v.begin(), v.end()));
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  try {
    parse(argc, argv, opt);
  } catch (const std::exception& e) {
    std::cerr << "bench_group: " << e.what() << "\n\n" << kUsage;
    return 2;
  }
  std::vector<std::string> failures, notes;
  const std::string when = local_time_now();
  const std::string load_at_start = read_first_line("/proc/loadavg");
  std::vector<double> join_ms, rebalance_ms, first_ms, close_ms;
  std::vector<CommitResult> commits;
  std::string broker_end = "not started";

  // 1. Rebalance after a member leaves, and the lone-member join baseline, on one broker.
  {
    BrokerProcess broker(opt.sluice, {"--flush", "50ms"});
    if (opt.keep) broker.keep_dir();
    try {
      progress("starting " + opt.sluice.string() + " broker --flush 50ms");
      broker.start();
      const std::string topic = "bench-group-6p";
      std::string err = create_topic(broker.bootstrap(), topic, kPartitions);
      if (!err.empty()) throw std::runtime_error(err);
      const std::string prefix = "bench-group-" + std::to_string(::getpid()) + "-";
      for (int i = 1; i <= opt.repeat; ++i) {
        if (!broker.alive()) throw std::runtime_error("the broker is no longer running");
        progress("round " + std::to_string(i) + ": lone member joins");
        join_ms.push_back(lone_member_join_ms(broker.bootstrap(), topic, prefix + "lone-" + std::to_string(i)));
        progress("round " + std::to_string(i) + ": 3 members, one leaves");
        auto phase = std::chrono::milliseconds((i - 1) * kHeartbeatMs / opt.repeat);
        LeaveResult r = member_leaves(broker.bootstrap(), topic, prefix + "three-" + std::to_string(i), phase);
        rebalance_ms.push_back(r.rebalance_ms);
        first_ms.push_back(r.first_ms);
        close_ms.push_back(r.close_ms);
      }
    } catch (const std::exception& e) {
      failures.push_back(std::string("rebalance: ") + e.what() + "\nbroker log:\n" + broker.log_tail());
    }
    bool clean = false;
    broker_end = broker.stop(&clean);
    if (!clean) failures.push_back("rebalance broker did not exit cleanly on SIGTERM: " + broker_end);
  }

  // 2. Commits per second at both flush policies, each on a fresh broker.
  for (std::string flush : {"every-batch", "50ms"}) {
    try {
      commits.push_back(commit_rate(opt, flush, notes));
    } catch (const std::exception& e) {
      failures.push_back(std::string("commits: ") + e.what());
    }
  }

  // ---- report ----
  std::ostringstream md;
  md << "# sluice consumer-group benchmark\n\n";
  md << "- when: " << when << "; " << std::thread::hardware_concurrency()
     << " CPUs; load average at start: " << load_at_start << "\n";
  md << "- broker: `" << opt.sluice.string() << " broker`; clients: librdkafka " << librdkafka_version()
     << " high-level consumers, session.timeout.ms=" << kSessionTimeoutMs << ", heartbeat.interval.ms=" << kHeartbeatMs
     << ", partition.assignment.strategy=range (eager)\n";
  md << "- load: " << opt.repeat << " rebalance rounds, " << fmt("%g", opt.duration_s) << " s per commit/metadata loop"
     << (opt.smoke ? " (--smoke: figures are meaningless)" : "") << "\n\n";

  md << "## Rebalance after a member leaves (3 members, " << kPartitions << " partitions, broker --flush 50ms)\n\n";
  md << "| what | rounds | min (ms) | median (ms) | max (ms) | ratio (median ÷ baseline median) |\n";
  md << "|---|---:|---:|---:|---:|---:|\n";
  double base = median(join_ms);
  auto rb_row = [&](const std::string& what, const std::vector<double>& v) {
    md << "| " << what << " | " << v.size() << " | " << stats_cells(v) << " | "
       << (v.empty() || !(base > 0) ? "—" : fmt("%.2f", median(v) / base)) << " |\n";
  };
  rb_row("lone fresh member: subscribe → assignment (baseline: JoinGroup + SyncGroup)", join_ms);
  rb_row("member 0 `rd_kafka_consumer_close` → both others reassigned", rebalance_ms);
  rb_row("member 0 `rd_kafka_consumer_close` → first other reassigned", first_ms);
  rb_row("`rd_kafka_consumer_close` itself (revoke + LeaveGroup)", close_ms);
  md << "\nThe remaining members only learn of the rebalance from a heartbeat answered "
        "REBALANCE_IN_PROGRESS, so up to one heartbeat.interval.ms ("
     << kHeartbeatMs << " ms) of waiting is in the protocol, on Kafka too; then each rejoins "
        "(revoke, JoinGroup, SyncGroup, assign). Round i leaves (i-1)/N of a heartbeat interval after a "
        "heartbeat-aligned point, so the rounds sample the heartbeat phase evenly (rebalance ≈ 500 ms − "
        "phase + rejoin when the next heartbeat triggers it).\n\n";

  md << "## Synchronous OffsetCommit (one member, 1 partition, explicit offsets, async=0)\n\n";
  md << "| broker --flush | commits/s | baseline: OffsetFetch round trips/s | ratio | Metadata round trips/s | "
        "commits ÷ Metadata | fdatasync/s (4 KiB appends) | broker CPU | client CPU |\n";
  md << "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (auto& c : commits) {
    md << "| " << c.flush << " | " << fmt("%.0f", c.commits_s) << " | " << fmt("%.0f", c.fetches_s) << " | "
       << fmt("%.2f", c.fetches_s > 0 ? c.commits_s / c.fetches_s : NAN) << " | " << fmt("%.0f", c.metadata_s) << " | "
       << fmt("%.2f", c.metadata_s > 0 ? c.commits_s / c.metadata_s : NAN) << " | "
       << (std::isnan(c.fsyncs_s) ? "—" : fmt("%.0f", c.fsyncs_s)) << " | " << fmt("%.2f", c.broker_cpu) << " | "
       << fmt("%.2f", c.client_cpu) << " |\n";
  }
  md << "\nBaseline = `rd_kafka_committed` (OffsetFetch of the same partition) back to back on the same "
        "client, mean of a run before and one after the commits: the same path to the group coordinator "
        "through librdkafka, without a write, so ratio = the cost of the write. Metadata round trips/s = "
        "`rd_kafka_metadata` for the one topic back to back (also before and after); through librdkafka it is "
        "slower than a group request, so it is no floor, only a reference. fdatasync/s = one "
        "thread appending 4 KiB and calling fdatasync in a loop in the broker's data dir, the disk's floor for "
        "a commit that is fsynced before it is answered. CPU = CPU seconds per wall second during the commit "
        "loop. The last committed offset is read back with OffsetFetch and must match.\n";

  if (!notes.empty()) {
    md << "\n## Client errors reported on the way (not fatal)\n\n";
    for (auto& n : notes) md << "- " << n << "\n";
  }
  if (!failures.empty()) {
    md << "\n## FAILED\n\n";
    for (auto& f : failures) md << "- " << f << "\n";
  }
  std::cout << md.str();
  if (!rebalance_ms.empty() && base > 0)
    print_result("group", "rebalance_after_leave", median(rebalance_ms), "ms", base, "lone_member_join");
  for (auto& c : commits)
    if (c.fetches_s > 0)
      print_result("group", "offset_commit_flush_" + c.flush, c.commits_s, "commits/s", c.fetches_s,
                   "OffsetFetch_round_trips");
  if (!opt.out.empty() && !write_file(opt.out, md.str())) {
    std::cerr << "bench_group: cannot write " << opt.out << "\n";
    return 1;
  }
  return failures.empty() ? 0 : 1;
}
