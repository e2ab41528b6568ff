// The jobs of JOBS.md that `sluice run NAME` runs. Each JobSpec adds its own flags to a
// CLI11 subcommand and, once the command line is parsed, adds its pipeline to a
// StreamEnvironment. Jobs use only the public API (include/sluice).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "sluice/sluice.h"

namespace sluice::jobs {

// Adds the job's pipeline to the environment (called after parsing, on the main thread).
using PipelineBuilder = std::function<void(StreamEnvironment&)>;

struct JobSpec {
  std::string name;
  std::string summary;
  // Registers the job's flags on `app`; the returned builder reads them when called.
  std::function<PipelineBuilder(CLI::App& app)> define;
};

const std::vector<JobSpec>& job_catalog();

JobSpec click_count_job();
JobSpec transactions_job();
JobSpec video_frames_job();
JobSpec file_uploads_job();
JobSpec pair_sum_job();
JobSpec order_aggregates_job();
JobSpec click_windows_job();
// nexmark-q0 ... nexmark-q11 (nexmark_jobs.cpp; the queries are in src/nexmark/).
std::vector<JobSpec> nexmark_jobs();

}  // namespace sluice::jobs
