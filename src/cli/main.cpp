// `sluice`: one binary, many subcommands (see DESIGN.md). Exit codes: 0 success, 1 a
// runtime failure (the message says what to do), 2 bad command-line usage.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <exception>

#include "cli/commands.h"

int main(int argc, char** argv) {
  // stdout carries data (records, job output); every log line goes to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("sluice"));
  CLI::App app{"sluice: Kafka + Flink in one program"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "sluice 0.1.0");
  sluice::cli::add_broker_command(app);
  sluice::cli::add_topic_command(app);
  sluice::cli::add_produce_command(app);
  sluice::cli::add_consume_command(app);
  sluice::cli::add_demo_command(app);
  sluice::cli::add_groups_command(app);
  sluice::cli::add_generate_command(app);
  sluice::cli::add_transactions_command(app);
  sluice::cli::add_run_command(app);
  sluice::cli::add_job_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}
