// The dashboard flags of the long-running commands (`sluice broker`, `sluice demo`,
// `sluice run`): --ui host:port|off, --ui-token (or SLUICE_UI_TOKEN), --ui-upload-limit,
// --ui-savepoint-root, and starting the DashboardServer they describe. A --ui given on the
// command line that cannot be bound is an error; the default address, when taken (another
// sluice already serves it), only a warning, so that several brokers can run side by side.
#pragma once

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "web/dashboard_server.h"

namespace sluice::cli {

struct UiFlags {
  std::string address = "127.0.0.1:8081";
  std::string token;
  size_t upload_limit_bytes = 16 * 1024 * 1024;
  std::string savepoint_root;
  CLI::Option* address_option = nullptr;
};

inline void add_ui_options(CLI::App& cmd, UiFlags& f) {
  f.address_option =
      cmd.add_option("--ui", f.address, "Dashboard address (host:port; port 0 = any free), or off")
          ->capture_default_str();
  cmd.add_option("--ui-token", f.token,
                 "Bearer token that every dashboard call changing something must carry")
      ->envname("SLUICE_UI_TOKEN");
  cmd.add_option("--ui-upload-limit", f.upload_limit_bytes,
                 "Largest file the dashboard's upload page accepts, in bytes")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--ui-savepoint-root", f.savepoint_root,
                 "With --ui on a non-loopback address: the directory under which the dashboard "
                 "writes savepoints (on 127.0.0.1 it writes them where the caller says)");
}

// The running dashboard for `bootstrap`, or null with --ui off (or the default address
// taken). `broker_in_process`: show the broker's request metrics on /metrics. `jobs`, when
// given, feeds the Jobs page and must outlive the server.
inline std::unique_ptr<web::DashboardServer> start_dashboard(const UiFlags& f,
                                                             const std::string& bootstrap,
                                                             bool broker_in_process,
                                                             web::JobsProvider* jobs = nullptr) {
  web::DashboardOptions options;
  if (!web::parse_ui_address(f.address, options.host, options.port)) return nullptr;
  options.kafka.bootstrap_servers = bootstrap;
  options.token = f.token;
  options.upload_limit_bytes = f.upload_limit_bytes;
  options.broker_metrics = broker_in_process;
  options.savepoint_root = f.savepoint_root;
  auto server = std::make_unique<web::DashboardServer>(std::move(options), jobs);
  try {
    server->start();
  } catch (const std::runtime_error& e) {
    if (f.address_option && f.address_option->count() > 0) throw;
    spdlog::warn("{}; running without it", e.what());
    return nullptr;
  }
  return server;
}

}  // namespace sluice::cli
