// DashboardServer: the dashboard of a sluice process — the UI (embedded in the binary),
// the JSON API under /api (cluster, topics, groups, messages, uploads, jobs) and
// Prometheus text at /metrics — served over HTTP by cpp-httplib on threads of its own.
//
// Kafka is reached only through kafka/client, so it serves any cluster; broker request
// metrics appear on /metrics when a broker runs in the same process (RequestMetrics).
// Jobs come from a JobsProvider (jobs_provider.h), or the Jobs page shows none.
//
// Security: binds 127.0.0.1 unless told otherwise, and then answers only requests whose
// Host is a loopback name (no DNS rebinding). A request that changes something (any method
// but GET/HEAD) needs `Authorization: Bearer <token>` when a token is set (401 otherwise),
// and is refused (403) when its Origin is another site's. Uploads larger than the limit
// get 413. No request path reaches the file system: UI files come from a table compiled
// in (ui_assets.h). A savepoint's target directory is the one exception: see
// savepoint_target.h for which directories a request may name.
//
// Lifetime: start() binds and returns (throws std::runtime_error when the address is
// taken); stop() (or the destructor) stops accepting, waits for requests in progress and
// joins the thread. start/stop from one thread; port() and url() from any.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "kafka/client/config.h"

namespace httplib {
class Server;
}

namespace sluice::web {

class JobsProvider;
class KafkaViews;

struct DashboardOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8081;  // 0: any free port (see port())
  kafka::client::ConnectionOptions kafka;
  std::string token;                            // "" : mutating calls need no token
  size_t upload_limit_bytes = 16 * 1024 * 1024;  // the largest file an upload accepts
  // A broker runs in this process: /metrics shows its counters even before any request.
  bool broker_metrics = false;
  // Where a non-loopback dashboard may write savepoints ("" : nowhere); a loopback one
  // writes them into any absolute directory a caller names (savepoint_target.h).
  std::string savepoint_root;
};

class DashboardServer {
 public:
  // `jobs` may be null; when given it must outlive this server.
  explicit DashboardServer(DashboardOptions options, JobsProvider* jobs = nullptr);
  ~DashboardServer();
  DashboardServer(const DashboardServer&) = delete;
  DashboardServer& operator=(const DashboardServer&) = delete;

  void start();
  void stop();

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:8081/" (with "#token=..." appended when a token is set, so that the
  // printed link opens an authorized UI; the fragment never reaches the server).
  std::string url(bool with_token = false) const;

 private:
  void install_routes();

  DashboardOptions options_;
  JobsProvider* jobs_;
  std::unique_ptr<KafkaViews> kafka_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

// Parses "host:port", "port", or "off" (returns false) for the --ui flag; throws
// std::invalid_argument naming the bad text.
bool parse_ui_address(const std::string& text, std::string& host, uint16_t& port);

}  // namespace sluice::web
