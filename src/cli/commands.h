// The `sluice` subcommands. Each add_*_command registers one subcommand (its flags and its
// callback) on the top-level CLI11 app; each lives in its own file under src/cli/.
#pragma once

#include <CLI/CLI.hpp>

namespace sluice::cli {

void add_broker_command(CLI::App& app);
void add_topic_command(CLI::App& app);
void add_produce_command(CLI::App& app);
void add_consume_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_groups_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_transactions_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_job_command(CLI::App& app);

}  // namespace sluice::cli
