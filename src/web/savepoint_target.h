// Where the dashboard lets a caller write a savepoint (POST /api/jobs/<id>/savepoints and
// /stop name a "target-directory"). The rule:
//
//   - A dashboard bound to a loopback address accepts any absolute directory. Only programs
//     on this machine reach it (DashboardServer refuses foreign Host headers and cross-site
//     Origins), and the person who names the directory is the one who would otherwise type
//     `sluice job savepoint JOB DIR` or `flink stop --savepointPath DIR` on the same machine:
//     a savepoint goes where they say, as with Flink. What is written is only a
//     `savepoint-<job>-<id>/` directory with the job's own state (one of that exact name is
//     replaced), with the process's permissions. On a machine shared with other users,
//     --ui-token keeps them from triggering it.
//   - A dashboard bound to any other address is reachable from the network, and then a
//     request must not pick places in this machine's file system: savepoints are written
//     only under the operator's --ui-savepoint-root (checked after `..` and symbolic links
//     are resolved), and refused (403) when that is not set.
//
// The directory is created (with parents) when missing. Free function, no state.
#pragma once

#include <filesystem>
#include <string>

namespace sluice::web {

struct SavepointTargetPolicy {
  bool loopback_only = true;      // the dashboard listens on a loopback address
  std::filesystem::path root;     // --ui-savepoint-root; "" : none
};

// The directory to write into, made if missing. Throws ApiError: 400 when `requested` is
// empty, relative, or cannot be made a directory (with the OS's reason); 403 when the
// policy forbids it.
std::filesystem::path prepare_savepoint_target(const std::string& requested, const SavepointTargetPolicy& policy);

}  // namespace sluice::web
