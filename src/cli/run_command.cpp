// `sluice run JOB [flags]`: runs one job of the catalog (src/jobs) until its input ends
// (--bounded) or Ctrl-C / SIGTERM, which drains it: sources stop, every window fires,
// sinks flush. A job that does not drain within 30 s is cancelled.
// --ui-linger-after-end keeps the dashboard serving after the job ended (failed, finished,
// cancelled) until Ctrl-C, so that its final state and exceptions can be looked at, as in
// Flink's UI; the exit status is the job's.
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "jobs/job_catalog.h"
#include "cli/ui_flags.h"
#include "kafka/client/stop_signal.h"
#include "web/engine_jobs.h"

namespace sluice::cli {

namespace {

int run_job(const std::string& name, const jobs::PipelineBuilder& build, const UiFlags& ui,
            const std::string& bootstrap, bool linger) {
  StreamEnvironment env;
  build(env);
  kafka::client::StopSignal::install();
  JobClient job = env.execute_async(name);
  web::EngineJobs jobs;
  jobs.add(job);
  auto dashboard = start_dashboard(ui, bootstrap, false, &jobs);
  spdlog::info("job '{}' running; Ctrl-C stops it cleanly{}", name,
               dashboard ? "; dashboard at " + dashboard->url(true) : "");
  auto stop_deadline = std::chrono::steady_clock::time_point::max();
  while (job.state() == JobState::running || job.state() == JobState::restarting) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (kafka::client::StopSignal::requested() && stop_deadline == std::chrono::steady_clock::time_point::max()) {
      spdlog::info("job '{}': stopping (draining sources, flushing sinks)", name);
      job.stop();
      stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    }
    if (std::chrono::steady_clock::now() > stop_deadline) {
      spdlog::warn("job '{}' did not drain within 30 s; cancelling", name);
      job.cancel();
      stop_deadline = std::chrono::steady_clock::time_point::max() - std::chrono::hours(1);
    }
  }
  // Stopped with a savepoint through the dashboard: whoever asked learns its path before
  // the dashboard goes away with this process.
  jobs.await_savepoint_results(std::chrono::seconds(10));
  if (linger && dashboard && !kafka::client::StopSignal::requested()) {
    spdlog::info("job '{}' {}; the dashboard stays at {} until Ctrl-C", name, runtime::to_string(job.state()),
                 dashboard->url(true));
    while (!kafka::client::StopSignal::requested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  job.wait();  // throws JobFailure with the failing operator's message
  spdlog::info("job '{}' {}", name, runtime::to_string(job.state()));
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto* run = app.add_subcommand("run", "run a stream job (see `sluice run --help` for the list)");
  run->require_subcommand(1);
  for (const auto& spec : jobs::job_catalog()) {
    auto* sub = run->add_subcommand(spec.name, spec.summary);
    auto build = std::make_shared<jobs::PipelineBuilder>(spec.define(*sub));
    auto ui = std::make_shared<UiFlags>();
    add_ui_options(*sub, *ui);
    auto linger = std::make_shared<bool>(false);
    sub->add_flag("--ui-linger-after-end", *linger,
                  "keep the dashboard up after the job ended (to see its state and exceptions) until Ctrl-C");
    std::string name = spec.name;
    sub->callback([name, build, ui, sub, linger] {
      // The dashboard's Kafka pages look at the cluster the job reads.
      std::string bootstrap = "127.0.0.1:9092";
      if (auto* opt = sub->get_option_no_throw("--bootstrap-servers")) bootstrap = opt->as<std::string>();
      int rc = run_job(name, *build, *ui, bootstrap, *linger);
      if (rc) throw CLI::RuntimeError(rc);
    });
  }
}

}  // namespace sluice::cli
