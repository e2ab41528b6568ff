// librdkafka's C++ API (the client the engine's connectors use) against a real
// `sluice broker` child process: metadata, produce with acks=all counting delivery reports,
// consume with assign() from the beginning and compare every record.
//
// Usage: librdkafka_cpp_test [path/to/sluice] [gtest flags]   (or SLUICE_BIN in the env)
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string g_sluice_bin;

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return 0;
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool can_connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A `sluice broker` child process on a free loopback port with a fresh data dir.
class BrokerProcess {
 public:
  explicit BrokerProcess(std::vector<std::string> extra_args = {}) {
    char tmpl[] = "/tmp/sluice-cpp-it-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    port_ = free_port();
    log_ = dir_ / "broker.log";
    std::vector<std::string> args = {g_sluice_bin, "broker", "--listen", bootstrap(),
                                     "--data-dir", (dir_ / "data").string()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        start_error_ = "broker exited before listening (status " + std::to_string(status) +
                       "):\n" + log();
        return;
      }
      if (can_connect(port_)) return;
      std::this_thread::sleep_for(50ms);
    }
    start_error_ = "broker did not listen on " + bootstrap() + " within 20s:\n" + log();
  }

  ~BrokerProcess() {
    stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  /// SIGTERM and wait; returns the exit status (-1 when not running).
  int stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& start_error() const { return start_error_; }
  std::string log() const { return read_file(log_); }

 private:
  fs::path dir_;
  fs::path log_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string start_error_;
};

std::unique_ptr<RdKafka::Conf> make_conf(const std::map<std::string, std::string>& props) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : props) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      ADD_FAILURE() << "config " << k << "=" << v << ": " << err;
    }
  }
  return conf;
}

/// Collects every delivery report: the error and the offset per partition, in report order.
class DeliveryCounter : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& m) override {
    if (m.err() != RdKafka::ERR_NO_ERROR) {
      ++failed;
      if (first_error.empty()) first_error = m.errstr();
      return;
    }
    ++delivered;
    offsets[m.partition()].push_back(m.offset());
    auto* seq = static_cast<int64_t*>(m.msg_opaque());
    seq_of_offset[{m.partition(), m.offset()}] = *seq;
    delete seq;
  }
  int64_t delivered = 0;
  int64_t failed = 0;
  std::string first_error;
  std::map<int32_t, std::vector<int64_t>> offsets;
  std::map<std::pair<int32_t, int64_t>, int64_t> seq_of_offset;
};

/// Logs librdkafka's errors and log lines so that a failure shows what the client saw.
class Events : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& e) override {
    if (e.type() == RdKafka::Event::EVENT_ERROR || e.type() == RdKafka::Event::EVENT_LOG) {
      std::fprintf(stderr, "librdkafka %s: %s\n", RdKafka::err2str(e.err()).c_str(),
                   e.str().c_str());
    }
  }
};

std::string key_of(int64_t i) { return "key-" + std::to_string(i % 97); }
std::string value_of(int64_t i) {
  std::string v = "value-" + std::to_string(i) + "-";
  v.append(size_t(i % 200), char('a' + i % 26));
  v.push_back('\0');
  v.push_back(char(0xff));
  return v;
}

class LibrdkafkaCpp : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = std::make_unique<BrokerProcess>(std::vector<std::string>{"--partitions", "3"});
    ASSERT_TRUE(broker_->start_error().empty()) << broker_->start_error();
  }
  void TearDown() override {
    int status = broker_->stop();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "broker exit status " << status << "\n" << broker_->log();
    if (HasFailure()) std::fprintf(stderr, "--- broker log ---\n%s\n", broker_->log().c_str());
  }
  std::unique_ptr<BrokerProcess> broker_;
  Events events_;
};

TEST_F(LibrdkafkaCpp, MetadataListsTheBrokerAndAnAutoCreatedTopic) {
  auto conf = make_conf({{"bootstrap.servers", broker_->bootstrap()}});
  std::string err;
  conf->set("event_cb", &events_, err);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), err));
  ASSERT_TRUE(producer) << err;
  std::unique_ptr<RdKafka::Topic> topic(
      RdKafka::Topic::create(producer.get(), "cpp-metadata", nullptr, err));
  ASSERT_TRUE(topic) << err;

  RdKafka::Metadata* raw = nullptr;
  RdKafka::ErrorCode code = RdKafka::ERR_UNKNOWN;
  // The first request auto-creates the topic; the leader may take a moment to show.
  for (int attempt = 0; attempt < 20; ++attempt) {
    delete raw;
    raw = nullptr;
    code = producer->metadata(false, topic.get(), &raw, 5000);
    if (code == RdKafka::ERR_NO_ERROR && raw->topics()->size() == 1 &&
        raw->topics()->at(0)->err() == RdKafka::ERR_NO_ERROR)
      break;
    std::this_thread::sleep_for(100ms);
  }
  std::unique_ptr<RdKafka::Metadata> md(raw);
  ASSERT_EQ(code, RdKafka::ERR_NO_ERROR) << RdKafka::err2str(code);
  ASSERT_EQ(md->brokers()->size(), 1u);
  const auto* b = md->brokers()->at(0);
  EXPECT_EQ(b->host(), "127.0.0.1");
  EXPECT_EQ(std::to_string(b->port()), broker_->bootstrap().substr(10));
  ASSERT_EQ(md->topics()->size(), 1u);
  const auto* t = md->topics()->at(0);
  EXPECT_EQ(t->topic(), "cpp-metadata");
  EXPECT_EQ(t->err(), RdKafka::ERR_NO_ERROR) << RdKafka::err2str(t->err());
  ASSERT_EQ(t->partitions()->size(), 3u);
  for (const auto* p : *t->partitions()) {
    EXPECT_EQ(p->leader(), b->id());
    EXPECT_EQ(p->err(), RdKafka::ERR_NO_ERROR);
  }
}

TEST_F(LibrdkafkaCpp, ProduceAcksAllThenConsumeWithAssignFromTheBeginning) {
  constexpr int64_t kRecords = 20000;
  const std::string topic_name = "cpp-roundtrip";
  const int64_t base_ts = 1'700'000'000'000;

  DeliveryCounter dr;
  {
    auto conf = make_conf({{"bootstrap.servers", broker_->bootstrap()},
                           {"acks", "all"},
                           {"linger.ms", "5"},
                           {"compression.codec", "zstd"},
                           {"message.timeout.ms", "60000"}});
    std::string err;
    conf->set("dr_cb", &dr, err);
    conf->set("event_cb", &events_, err);
    std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), err));
    ASSERT_TRUE(producer) << err;
    for (int64_t i = 0; i < kRecords; ++i) {
      std::string key = key_of(i), value = value_of(i);
      RdKafka::Headers* headers = RdKafka::Headers::create();
      headers->add("seq", std::to_string(i));
      headers->add("empty", "");
      RdKafka::ErrorCode code;
      for (;;) {
        code = producer->produce(topic_name, RdKafka::Topic::PARTITION_UA,
                                 RdKafka::Producer::RK_MSG_COPY, value.data(), value.size(),
                                 key.data(), key.size(), base_ts + i, headers,
                                 new int64_t(i));
        if (code != RdKafka::ERR__QUEUE_FULL) break;
        producer->poll(100);
      }
      ASSERT_EQ(code, RdKafka::ERR_NO_ERROR) << RdKafka::err2str(code);  // owns headers now
      producer->poll(0);
    }
    ASSERT_EQ(producer->flush(60000), RdKafka::ERR_NO_ERROR) << "flush timed out";
  }
  ASSERT_EQ(dr.failed, 0) << "first delivery error: " << dr.first_error;
  ASSERT_EQ(dr.delivered, kRecords);
  EXPECT_GT(dr.offsets.size(), 1u) << "keys should spread over partitions";
  for (auto& [partition, offsets] : dr.offsets) {
    // Reports of one partition come in offset order, dense from 0.
    for (size_t j = 0; j < offsets.size(); ++j)
      ASSERT_EQ(offsets[j], int64_t(j)) << "partition " << partition << " report " << j;
  }

  // Consume every partition with assign() from the beginning, no commits.
  auto conf = make_conf({{"bootstrap.servers", broker_->bootstrap()},
                         {"group.id", "cpp-assign-only"},  // required by KafkaConsumer
                         {"enable.auto.commit", "false"},
                         {"enable.auto.offset.store", "false"},
                         {"enable.partition.eof", "true"},
                         {"check.crcs", "true"}});
  std::string err;
  conf->set("event_cb", &events_, err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), err));
  ASSERT_TRUE(consumer) << err;
  std::vector<RdKafka::TopicPartition*> assignment;
  for (int32_t p = 0; p < 3; ++p)
    assignment.push_back(
        RdKafka::TopicPartition::create(topic_name, p, RdKafka::Topic::OFFSET_BEGINNING));
  ASSERT_EQ(consumer->assign(assignment), RdKafka::ERR_NO_ERROR);
  RdKafka::TopicPartition::destroy(assignment);

  std::map<int32_t, int64_t> next_offset;
  std::map<int32_t, bool> at_eof;
  int64_t received = 0;
  auto deadline = std::chrono::steady_clock::now() + 90s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(500));
    if (m->err() == RdKafka::ERR__TIMED_OUT) continue;
    if (m->err() == RdKafka::ERR__PARTITION_EOF) {
      at_eof[m->partition()] = m->offset() == int64_t(dr.offsets[m->partition()].size());
      if (received == kRecords && at_eof.size() == 3) {
        bool all = true;
        for (auto& [p, eof] : at_eof) all = all && eof;
        if (all) break;
      }
      continue;
    }
    ASSERT_EQ(m->err(), RdKafka::ERR_NO_ERROR) << m->errstr();
    int32_t p = m->partition();
    ASSERT_EQ(m->offset(), next_offset[p]) << "partition " << p;
    next_offset[p] = m->offset() + 1;
    auto it = dr.seq_of_offset.find({p, m->offset()});
    ASSERT_NE(it, dr.seq_of_offset.end()) << "unexpected record " << p << "@" << m->offset();
    int64_t i = it->second;
    ASSERT_NE(m->key(), nullptr);
    EXPECT_EQ(*m->key(), key_of(i));
    ASSERT_EQ(std::string(static_cast<const char*>(m->payload()), m->len()), value_of(i))
        << p << "@" << m->offset();
    EXPECT_EQ(m->timestamp().type, RdKafka::MessageTimestamp::MSG_TIMESTAMP_CREATE_TIME);
    EXPECT_EQ(m->timestamp().timestamp, base_ts + i);
    RdKafka::Headers* h = m->headers();
    ASSERT_NE(h, nullptr);
    auto all = h->get_all();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].key(), "seq");
    EXPECT_EQ(std::string(static_cast<const char*>(all[0].value()), all[0].value_size()),
              std::to_string(i));
    EXPECT_EQ(all[1].key(), "empty");
    EXPECT_EQ(all[1].value_size(), 0u);
    ++received;
  }
  EXPECT_EQ(received, kRecords);
  for (auto& [p, offsets] : dr.offsets) EXPECT_EQ(next_offset[p], int64_t(offsets.size()));
  consumer->close();
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc > 1) {
    g_sluice_bin = argv[1];
  } else if (const char* env = std::getenv("SLUICE_BIN")) {
    g_sluice_bin = env;
  } else {
    std::fprintf(stderr, "usage: %s path/to/sluice (or SLUICE_BIN=...)\n", argv[0]);
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  return RUN_ALL_TESTS();
}
