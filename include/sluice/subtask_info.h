// Where a piece of user code runs: which operator, which parallel subtask of how many.
// Handed to sources, sinks and functions when they open; a plain value.
#pragma once

#include <string>

namespace sluice {

struct SubtaskInfo {
  std::string operator_name;
  int index = 0;            // 0 .. parallelism-1
  int parallelism = 1;
  int max_parallelism = 128;  // the number of key groups
};

}  // namespace sluice
