// `sluice job list|savepoint|stop|cancel`: controls the jobs of a running sluice process
// (`sluice run`, `sluice demo`) through its dashboard's JSON API over HTTP, as `flink list`,
// `flink savepoint` and `flink stop --savepointPath` do through Flink's REST API:
//
//   sluice job list                              # id, name, status, start, parallelism
//   sluice job savepoint JOB DIR                 # prints the savepoint's path
//   sluice job stop --savepoint DIR JOB          # savepoint, then the job ends; prints the path
//   sluice job cancel JOB                        # ends the job at once, no savepoint
//
// JOB is a job id (as `list` shows) or a job name, when one job has that name. DIR is made
// absolute here (the process may run in another directory) and created by the process.
// --ui names the process's dashboard (default 127.0.0.1:8081), --ui-token its token (or
// SLUICE_UI_TOKEN). Exit 0 on success; 1 with a sentence on stderr when the process cannot
// be reached, the job does not exist or does not run, or the savepoint failed (its reason).
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "sluice/time_text.h"
#include "web/dashboard_server.h"

namespace sluice::cli {

namespace {

using nlohmann::json;

struct JobOptions {
  std::string ui = "127.0.0.1:8081";
  std::string token;
  std::string job;
  std::string dir;
  double timeout_s = 600;
  bool as_json = false;
};

// The dashboard API of one sluice process; every failure is a std::runtime_error that says
// what to do.
class DashboardClient {
 public:
  // The dashboard answered with an HTTP error status and this message.
  struct HttpError : std::runtime_error {
    HttpError(int status, const std::string& message) : std::runtime_error(message), status(status) {}
    int status;
  };

  explicit DashboardClient(const JobOptions& o) : token_(o.token) {
    std::string host;
    uint16_t port = 0;
    if (!web::parse_ui_address(o.ui, host, port) || port == 0)
      throw std::invalid_argument("--ui: the address of a running dashboard, host:port, not '" + o.ui + "'");
    if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
    if (host == "::") host = "::1";
    where_ = "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
    client_ = std::make_unique<httplib::Client>(host, port);
    client_->set_connection_timeout(std::chrono::seconds(5));
    client_->set_read_timeout(std::chrono::seconds(30));
  }

  json get(const std::string& path) { return check(client_->Get(path), path); }
  json post(const std::string& path, const json& body) {
    httplib::Headers headers;
    if (!token_.empty()) headers.emplace("Authorization", "Bearer " + token_);
    return check(client_->Post(path, headers, body.dump(), "application/json"), path);
  }
  const std::string& where() const { return where_; }

  // The id of the job `wanted` names: an id, or the name of exactly one job (of one running
  // job, when several have that name).
  std::string resolve(const std::string& wanted) {
    json jobs = get("/api/jobs")["jobs"];
    std::vector<json> named, running;
    for (auto& j : jobs) {
      if (j.value("id", "") == wanted) return wanted;
      if (j.value("name", "") == wanted) {
        named.push_back(j);
        if (j.value("status", "") == "RUNNING") running.push_back(j);
      }
    }
    if (named.size() == 1) return named[0]["id"];
    if (running.size() == 1) return running[0]["id"];
    std::string known;
    for (auto& j : jobs)
      known += "\n  " + j.value("id", "?") + "  " + j.value("name", "?") + "  " + j.value("status", "?");
    if (named.empty())
      throw std::runtime_error("no job '" + wanted + "' at " + where_ +
                               (jobs.empty() ? std::string(" (the process runs no jobs)") : "; its jobs:" + known));
    throw std::runtime_error(std::to_string(named.size()) + " jobs are named '" + wanted + "' at " + where_ +
                             "; name one by its id:" + known);
  }

 private:
  json check(const httplib::Result& res, const std::string& path) {
    if (!res)
      throw std::runtime_error("cannot reach the sluice dashboard at " + where_ + " (" + httplib::to_string(res.error()) +
                               "): is the job's process running, and is --ui its dashboard address?");
    json body;
    try {
      body = res->body.empty() ? json::object() : json::parse(res->body);
    } catch (const json::parse_error&) {
      throw std::runtime_error(where_ + path + " did not answer JSON (HTTP " + std::to_string(res->status) +
                               "): is it a sluice dashboard?");
    }
    if (res->status == 401)
      throw std::runtime_error("the dashboard at " + where_ + " needs its token: --ui-token TOKEN (or SLUICE_UI_TOKEN)");
    if (res->status >= 400)
      throw HttpError(res->status, body.is_object() ? body.value("error", res->body) : res->body);
    return body;
  }

  std::string token_;
  std::string where_;
  std::unique_ptr<httplib::Client> client_;
};

void list_jobs(const JobOptions& o) {
  DashboardClient dash(o);
  json jobs = dash.get("/api/jobs");
  if (o.as_json) {
    std::printf("%s\n", jobs["jobs"].dump(2).c_str());
    return;
  }
  if (jobs["jobs"].empty()) {
    std::fprintf(stderr, "no jobs at %s\n", dash.where().c_str());
    return;
  }
  std::printf("%-8s %-10s %-24s %11s  %s\n", "ID", "STATUS", "STARTED (UTC)", "PARALLELISM", "NAME");
  for (auto& j : jobs["jobs"]) {
    const int64_t started = j.value("start_time_ms", int64_t(0));
    std::printf("%-8s %-10s %-24s %11d  %s\n", j.value("id", "?").c_str(), j.value("status", "?").c_str(),
                started > 0 ? format_iso8601(started).c_str() : "-", j.value("parallelism", 0),
                j.value("name", "?").c_str());
  }
}

// Asks for a savepoint (and a stop) and waits for it; prints its path on stdout.
void take_savepoint(const JobOptions& o, bool stop) {
  if (o.dir.empty())
    throw std::invalid_argument(stop ? "sluice job stop needs --savepoint DIR: the job's state goes there (to end a "
                                       "job without one: sluice job cancel JOB)"
                                     : "sluice job savepoint needs a directory: sluice job savepoint JOB DIR");
  const std::string dir = std::filesystem::absolute(o.dir).lexically_normal().string();
  DashboardClient dash(o);
  const std::string id = dash.resolve(o.job);
  json started;
  try {
    started = dash.post("/api/jobs/" + id + (stop ? "/stop" : "/savepoints"), {{"target-directory", dir}});
  } catch (const DashboardClient::HttpError& e) {
    throw std::runtime_error(std::string(stop ? "cannot stop" : "cannot take a savepoint of") + " job " + id + ": " +
                             e.what());
  }
  const std::string status_path = "/api/jobs/" + id + "/savepoints/" + started.value("request-id", "");
  spdlog::info("{} of job {} into {} ...", stop ? "stopping with a savepoint" : "taking a savepoint", id, dir);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.timeout_s);
  json status;
  while (true) {
    try {
      status = dash.get(status_path);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(std::string(e.what()) + (stop ? "; the job may have stopped: look for its savepoint in " + dir : ""));
    }
    if (status.value("status", "") != "IN_PROGRESS") break;
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("the savepoint of job " + id + " is still in progress after " +
                               std::to_string(int(o.timeout_s)) + " s (--timeout); it goes on in the process");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (status.value("status", "") != "COMPLETED")
    throw std::runtime_error("the savepoint of job " + id + " failed: " + status.value("failure", status.dump()) +
                             (stop ? " (the job goes on running)" : ""));
  const std::string path = status.value("location", "");
  std::printf("%s\n", path.c_str());
  std::fflush(stdout);
  spdlog::info("savepoint written{}; resume with: sluice run JOB --from-savepoint {}", stop ? " and the job stopped" : "",
               path);
}

void cancel_job(const JobOptions& o) {
  DashboardClient dash(o);
  const std::string id = dash.resolve(o.job);
  try {
    dash.post("/api/jobs/" + id + "/cancel", json::object());
  } catch (const DashboardClient::HttpError& e) {
    throw std::runtime_error("cannot cancel job " + id + ": " + e.what());
  }
  spdlog::info("job {} cancelled", id);
}

void add_connection(CLI::App& cmd, JobOptions& o) {
  cmd.add_option("--ui", o.ui, "The dashboard of the sluice process that runs the job (host:port)")
      ->capture_default_str();
  cmd.add_option("--ui-token", o.token, "That dashboard's --ui-token, when it has one")->envname("SLUICE_UI_TOKEN");
}

}  // namespace

void add_job_command(CLI::App& app) {
  auto* job = app.add_subcommand("job", "list the jobs of a running sluice process, take savepoints, stop or cancel them");
  job->require_subcommand(1);
  auto o = std::make_shared<JobOptions>();

  auto* list = job->add_subcommand("list", "the process's jobs: id, status, start time, parallelism, name");
  add_connection(*list, *o);
  list->add_flag("--json", o->as_json, "print the dashboard's JSON instead of a table");
  list->callback([o] { list_jobs(*o); });

  auto* savepoint = job->add_subcommand("savepoint", "write a savepoint of a running job into DIR and print its path");
  add_connection(*savepoint, *o);
  savepoint->add_option("JOB", o->job, "job id (see sluice job list) or job name")->required();
  savepoint->add_option("DIR", o->dir, "directory the savepoint goes into (created when missing)")->required();
  savepoint->add_option("--timeout", o->timeout_s, "seconds to wait for the savepoint")->capture_default_str();
  savepoint->callback([o] { take_savepoint(*o, false); });

  auto* stop = job->add_subcommand("stop", "write a savepoint into DIR, then end the job (print the savepoint's path)");
  add_connection(*stop, *o);
  stop->add_option("--savepoint,--savepoint-path,--savepointPath,-p", o->dir,
                   "directory the savepoint goes into (created when missing)")
      ->required();
  stop->add_option("JOB", o->job, "job id (see sluice job list) or job name")->required();
  stop->add_option("--timeout", o->timeout_s, "seconds to wait for the savepoint")->capture_default_str();
  stop->callback([o] { take_savepoint(*o, true); });

  auto* cancel = job->add_subcommand("cancel", "end a job at once, without a savepoint");
  add_connection(*cancel, *o);
  cancel->add_option("JOB", o->job, "job id (see sluice job list) or job name")->required();
  cancel->callback([o] { cancel_job(*o); });
}

}  // namespace sluice::cli
