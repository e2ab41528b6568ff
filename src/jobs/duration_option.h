// A CLI11 option that reads a duration ("500ms", "30s", "1m"; see sluice/time_text.h) into
// a Duration, refusing anything else at parse time with parse_duration()'s message.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "sluice/time.h"

namespace sluice::jobs {

// Adds `--name VALUE` bound to `target`; the help text shows the current value as default.
CLI::Option* add_duration_option(CLI::App& app, const std::string& name, Duration& target,
                                 const std::string& description);

}  // namespace sluice::jobs
