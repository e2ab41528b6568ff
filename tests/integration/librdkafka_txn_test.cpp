// librdkafka's transactional producer through its C++ API (what the engine's exactly-once
// Kafka sink uses) against a real `sluice broker` child process: transactions committed
// and aborted over several partitions, read back by read_committed and read_uncommitted
// RdKafka::KafkaConsumers; and a second producer with the same transactional.id fencing
// the first.
//
// Usage: librdkafka_txn_test [path/to/sluice] [gtest flags]   (or SLUICE_BIN in the env)
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
constexpr int kPartitions = 3;

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
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

/// A `sluice broker` child on a free port with a fresh data dir; SIGTERM on destruction.
class Broker {
 public:
  Broker() {
    char tmpl[] = "/tmp/sluice-txn-it-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    port_ = free_port();
    std::vector<std::string> args = {g_sluice_bin, "broker", "--listen", bootstrap(), "--data-dir",
                                     (dir_ / "data").string()};
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open((dir_ / "broker.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    for (auto deadline = std::chrono::steady_clock::now() + 20s;
         std::chrono::steady_clock::now() < deadline && !can_connect(port_);)
      std::this_thread::sleep_for(50ms);
  }
  ~Broker() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const {
    std::ifstream in(dir_ / "broker.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  fs::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

std::unique_ptr<RdKafka::Conf> conf(const std::map<std::string, std::string>& settings) {
  std::unique_ptr<RdKafka::Conf> c(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : settings)
    if (c->set(k, v, err) != RdKafka::Conf::CONF_OK) ADD_FAILURE() << k << ": " << err;
  return c;
}

void check(RdKafka::Error* e, const char* what) {
  if (e) {
    std::string s = e->str();
    delete e;
    FAIL() << what << ": " << s;
  }
}

std::unique_ptr<RdKafka::Producer> txn_producer(const std::string& bootstrap, const std::string& id) {
  std::string err;
  auto c = conf({{"bootstrap.servers", bootstrap}, {"transactional.id", id}, {"linger.ms", "2"}});
  std::unique_ptr<RdKafka::Producer> p(RdKafka::Producer::create(c.get(), err));
  EXPECT_TRUE(p) << err;
  if (p) check(p->init_transactions(30000), "init_transactions");
  return p;
}

void produce(RdKafka::Producer& p, const std::string& topic, const std::string& prefix, int n) {
  for (int i = 0; i < n; ++i) {
    std::string v = prefix + "-" + std::to_string(i);
    ASSERT_EQ(p.produce(topic, i % kPartitions, RdKafka::Producer::RK_MSG_COPY, v.data(), v.size(),
                        nullptr, 0, 0, nullptr),
              RdKafka::ERR_NO_ERROR);
  }
}

void create_topic(const std::string& bootstrap, const std::string& topic) {
  std::string cmd = g_sluice_bin + " topic create " + topic + " -p " + std::to_string(kPartitions) +
                    " -b " + bootstrap + " >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

/// Values per partition, read from the beginning to the end with `isolation`.
std::map<int, std::vector<std::string>> read_all(const std::string& bootstrap,
                                                 const std::string& topic, const std::string& isolation) {
  std::string err;
  auto c = conf({{"bootstrap.servers", bootstrap},
                 {"group.id", "txn-reader"},
                 {"isolation.level", isolation},
                 {"enable.partition.eof", "true"},
                 {"enable.auto.commit", "false"}});
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(c.get(), err));
  std::vector<RdKafka::TopicPartition*> parts;
  for (int p = 0; p < kPartitions; ++p)
    parts.push_back(RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
  consumer->assign(parts);
  RdKafka::TopicPartition::destroy(parts);
  std::map<int, std::vector<std::string>> out;
  int eof = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 30s;
       eof < kPartitions && std::chrono::steady_clock::now() < deadline;) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(500));
    if (m->err() == RdKafka::ERR__PARTITION_EOF)
      ++eof;
    else if (m->err() == RdKafka::ERR_NO_ERROR)
      out[m->partition()].emplace_back(static_cast<const char*>(m->payload()), m->len());
    else if (m->err() != RdKafka::ERR__TIMED_OUT)
      ADD_FAILURE() << m->errstr();
  }
  EXPECT_EQ(eof, kPartitions) << "end of partitions not reached";
  consumer->close();
  return out;
}

std::map<int, std::vector<std::string>> expected(std::vector<std::string> prefixes, int n) {
  std::map<int, std::vector<std::string>> out;
  for (const auto& prefix : prefixes)
    for (int i = 0; i < n; ++i) out[i % kPartitions].push_back(prefix + "-" + std::to_string(i));
  return out;
}

TEST(LibrdkafkaTransactions, CommitAndAbortOverSeveralPartitions) {
  Broker broker;
  create_topic(broker.bootstrap(), "cpp-txn");
  auto p = txn_producer(broker.bootstrap(), "cpp-app");
  ASSERT_TRUE(p);
  for (auto [prefix, commit] : std::vector<std::pair<std::string, bool>>{
           {"c1", true}, {"a1", false}, {"c2", true}, {"a2", false}}) {
    check(p->begin_transaction(), "begin_transaction");
    produce(*p, "cpp-txn", prefix, 30);
    if (commit) {
      check(p->commit_transaction(30000), "commit_transaction");
    } else {
      p->flush(30000);
      check(p->abort_transaction(30000), "abort_transaction");
    }
  }
  EXPECT_EQ(read_all(broker.bootstrap(), "cpp-txn", "read_committed"), expected({"c1", "c2"}, 30));
  EXPECT_EQ(read_all(broker.bootstrap(), "cpp-txn", "read_uncommitted"),
            expected({"c1", "a1", "c2", "a2"}, 30));
}

TEST(LibrdkafkaTransactions, ASecondProducerWithTheSameIdFencesTheFirst) {
  Broker broker;
  create_topic(broker.bootstrap(), "cpp-fence");
  auto first = txn_producer(broker.bootstrap(), "cpp-shared");
  check(first->begin_transaction(), "begin_transaction");
  produce(*first, "cpp-fence", "first", 6);
  first->flush(30000);
  auto second = txn_producer(broker.bootstrap(), "cpp-shared");
  check(second->begin_transaction(), "begin_transaction");
  produce(*second, "cpp-fence", "second", 6);
  check(second->commit_transaction(30000), "commit_transaction");
  RdKafka::Error* e = first->commit_transaction(30000);
  ASSERT_NE(e, nullptr) << "the fenced producer's commit succeeded";
  EXPECT_TRUE(e->is_fatal()) << e->str();
  EXPECT_TRUE(e->code() == RdKafka::ERR__FENCED || e->code() == RdKafka::ERR_PRODUCER_FENCED ||
              e->code() == RdKafka::ERR_INVALID_PRODUCER_EPOCH)
      << e->str();
  delete e;
  EXPECT_EQ(read_all(broker.bootstrap(), "cpp-fence", "read_committed"), expected({"second"}, 6));
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc > 1) g_sluice_bin = argv[1];
  if (g_sluice_bin.empty() && std::getenv("SLUICE_BIN")) g_sluice_bin = std::getenv("SLUICE_BIN");
  if (g_sluice_bin.empty()) {
    std::fprintf(stderr, "usage: librdkafka_txn_test path/to/sluice\n");
    return 2;
  }
  return RUN_ALL_TESTS();
}
