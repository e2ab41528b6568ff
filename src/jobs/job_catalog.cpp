#include "jobs/job_catalog.h"

namespace sluice::jobs {

const std::vector<JobSpec>& job_catalog() {
  static const std::vector<JobSpec> catalog = {
      click_count_job(),
  };
  return catalog;
}

}  // namespace sluice::jobs
