#include "jobs/job_catalog.h"

namespace sluice::jobs {

const std::vector<JobSpec>& job_catalog() {
  static const std::vector<JobSpec> catalog = [] {
    std::vector<JobSpec> jobs = {
        click_count_job(),
        transactions_job(),
        video_frames_job(),
        file_uploads_job(),
        pair_sum_job(),
        order_aggregates_job(),
        click_windows_job(),
    };
    for (auto& job : nexmark_jobs()) jobs.push_back(std::move(job));
    return jobs;
  }();
  return catalog;
}

}  // namespace sluice::jobs
