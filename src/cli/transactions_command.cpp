// `sluice transactions list|describe`: the transactions a Kafka cluster's coordinators know,
// as kafka-transactions.sh shows them, through ListTransactions and DescribeTransactions
// (KIP-664, Kafka >= 3.0). librdkafka 2.0 has no Admin API for these two, so the command
// speaks them itself over a plain blocking TCP connection with kafka/protocol's codecs:
// Metadata from a bootstrap server names the brokers, `list` asks every broker (each is the
// coordinator of some ids), `describe` asks the coordinator FindCoordinator names.
//
// Output (a contract: tests read it):
//   list      TRANSACTIONAL-ID COORDINATOR PRODUCER-ID STATE, one id a line after a
//             header; --json: one object {"transactional_id","coordinator","producer_id",
//             "state"} a line.
//   describe  per id: TRANSACTIONAL-ID COORDINATOR PRODUCER-ID EPOCH STATE TIMEOUT-MS
//             START-TIME-MS PARTITIONS (topic-partition list or "-"); --json: one object a
//             line. An unknown id (TRANSACTIONAL_ID_NOT_FOUND) or any other error is
//             reported on stderr and makes the command exit 1.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/connection_flags.h"
#include "cli/host_port.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages.h"
#include "kafka/protocol/request_header.h"
#include "kafka/client/wire_connection.h"

namespace sluice::cli {

namespace {

using namespace sluice::kafka;
using Json = nlohmann::ordered_json;
using KafkaConnection = kafka::client::WireConnection;

struct Options {
  kafka::client::ConnectionOptions connection;
  std::vector<std::string> ids;
  std::vector<std::string> states;
  bool json = false;
};

struct BrokerAddress {
  int32_t node_id;
  std::string host;
  int32_t port;
};

std::vector<BrokerAddress> brokers(const Options& o) {
  const std::string first = o.connection.bootstrap_servers.substr(
      0, o.connection.bootstrap_servers.find(','));
  auto [host, port] = parse_host_port(first, 9092);
  KafkaConnection c(host, port, o.connection.timeout_seconds, "sluice-transactions");
  MetadataRequest req;
  req.topics.emplace();  // no topics: just the brokers
  auto resp = c.call<MetadataResponse>(ApiKey::kMetadata, 1, req);
  std::vector<BrokerAddress> out;
  for (const auto& b : resp.brokers) out.push_back({b.node_id, b.host, b.port});
  if (out.empty()) throw std::runtime_error(first + " named no brokers");
  return out;
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    width.resize(std::max(width.size(), r.size()));
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

void run_list(const Options& o) {
  std::vector<std::vector<std::string>> rows = {{"TRANSACTIONAL-ID", "COORDINATOR", "PRODUCER-ID", "STATE"}};
  for (const auto& b : brokers(o)) {
    KafkaConnection c(b.host, uint16_t(b.port), o.connection.timeout_seconds, "sluice-transactions");
    ListTransactionsRequest req;
    req.state_filters = o.states;
    auto resp = c.call<ListTransactionsResponse>(ApiKey::kListTransactions, 0, req);
    if (resp.error_code != 0)
      throw std::runtime_error("broker " + std::to_string(b.node_id) + ": " +
                               std::string(error_name(ErrorCode(resp.error_code))));
    for (const auto& f : resp.unknown_state_filters)
      std::fprintf(stderr, "warning: broker %d does not know the state '%s'\n", b.node_id, f.c_str());
    for (const auto& t : resp.transaction_states) {
      if (o.json)
        std::printf("%s\n", Json{{"transactional_id", t.transactional_id},
                                 {"coordinator", b.node_id},
                                 {"producer_id", t.producer_id},
                                 {"state", t.transaction_state}}
                                .dump()
                                .c_str());
      else
        rows.push_back({t.transactional_id, std::to_string(b.node_id), std::to_string(t.producer_id),
                        t.transaction_state});
    }
  }
  if (!o.json) print_table(rows);
}

int run_describe(const Options& o) {
  auto known = brokers(o);
  std::vector<std::vector<std::string>> rows = {{"TRANSACTIONAL-ID", "COORDINATOR", "PRODUCER-ID",
                                                 "EPOCH", "STATE", "TIMEOUT-MS", "START-TIME-MS",
                                                 "PARTITIONS"}};
  int failed = 0;
  for (const auto& id : o.ids) {
    const BrokerAddress& any = known.front();
    KafkaConnection bootstrap(any.host, uint16_t(any.port), o.connection.timeout_seconds, "sluice-transactions");
    FindCoordinatorRequest find{id, 1};
    auto coordinator = bootstrap.call<FindCoordinatorResponse>(ApiKey::kFindCoordinator, 1, find);
    if (coordinator.error_code != 0) {
      std::fprintf(stderr, "%s: no transaction coordinator: %s\n", id.c_str(),
                   std::string(error_name(ErrorCode(coordinator.error_code))).c_str());
      ++failed;
      continue;
    }
    KafkaConnection c(coordinator.host, uint16_t(coordinator.port), o.connection.timeout_seconds, "sluice-transactions");
    DescribeTransactionsRequest req;
    req.transactional_ids = {id};
    auto resp = c.call<DescribeTransactionsResponse>(ApiKey::kDescribeTransactions, 0, req);
    for (const auto& s : resp.transaction_states) {
      if (s.error_code != 0) {
        std::fprintf(stderr, "%s: %s\n", s.transactional_id.c_str(),
                     s.error_code == code(ErrorCode::kTransactionalIdNotFound)
                         ? "no such transactional id"
                         : std::string(error_name(ErrorCode(s.error_code))).c_str());
        ++failed;
        continue;
      }
      std::vector<std::string> parts;
      for (const auto& t : s.topics)
        for (int32_t p : t.partitions) parts.push_back(t.topic + "-" + std::to_string(p));
      if (o.json) {
        std::printf("%s\n", Json{{"transactional_id", s.transactional_id},
                                 {"coordinator", coordinator.node_id},
                                 {"producer_id", s.producer_id},
                                 {"producer_epoch", s.producer_epoch},
                                 {"state", s.transaction_state},
                                 {"timeout_ms", s.transaction_timeout_ms},
                                 {"start_time_ms", s.transaction_start_time_ms},
                                 {"partitions", parts}}
                                .dump()
                                .c_str());
      } else {
        std::string joined;
        for (const auto& p : parts) joined += (joined.empty() ? "" : ",") + p;
        rows.push_back({s.transactional_id, std::to_string(coordinator.node_id),
                        std::to_string(s.producer_id), std::to_string(s.producer_epoch),
                        s.transaction_state, std::to_string(s.transaction_timeout_ms),
                        std::to_string(s.transaction_start_time_ms), joined.empty() ? "-" : joined});
      }
    }
  }
  if (!o.json && rows.size() > 1) print_table(rows);
  return failed;
}

}  // namespace

void add_transactions_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("transactions", "List and describe Kafka transactions (any Kafka >= 3.0)");
  cmd->require_subcommand(1);
  auto* list = cmd->add_subcommand("list", "Every transactional id the coordinators know");
  add_connection_options(*list, opts->connection);
  list->add_option("--state", opts->states, "only ids in this state (Ongoing, CompleteCommit, ...)");
  list->add_flag("--json", opts->json, "one JSON object a line");
  list->callback([opts] { run_list(*opts); });
  auto* describe = cmd->add_subcommand("describe", "State, producer and partitions of transactional ids");
  add_connection_options(*describe, opts->connection);
  describe->add_option("ids", opts->ids, "transactional ids")->required();
  describe->add_flag("--json", opts->json, "one JSON object a line");
  describe->callback([opts] {
    if (int failed = run_describe(*opts); failed > 0)
      throw std::runtime_error(std::to_string(failed) + " transactional id(s) could not be described");
  });
}

}  // namespace sluice::cli
