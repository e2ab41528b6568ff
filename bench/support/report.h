// Small helpers shared by the benchmark commands for their markdown reports: number
// formatting, medians, the machine's load and the time, this process's CPU time, and
// writing the report to --out.
#pragma once

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::bench {

/// snprintf of one double, e.g. fmt("%.1f", x).
std::string fmt(const char* f, double v);
/// Median of v (NaN when empty).
double median(std::vector<double> v);
/// First line of a text file ("" if unreadable), e.g. "/proc/loadavg".
std::string read_first_line(const char* path);
/// The local time as "YYYY-MM-DD HH:MM:SS TZ".
std::string local_time_now();
/// CPU seconds (user + system) used so far by this process.
double self_cpu_seconds();
/// Writes `text` to `path` (creating parent directories); false when it cannot.
bool write_file(const std::string& path, const std::string& text);

/// Prints one machine-readable figure for bench/run-all to stdout, as a single line
///   RESULT <bench> <what> value=V unit=U [baseline=B baseline_what=W ratio=V/B] [target=T]
/// and flushes. `what`, `unit` and `baseline_what` must not contain spaces (use '_');
/// a NaN baseline leaves the baseline fields out. `target` ("" for none) is a comparison
/// such as ">=0.5" or "<10": on the ratio when there is a baseline, else on the value.
/// Human-readable reports stay as they are; these lines come in addition to them.
void print_result(std::string_view bench, std::string_view what, double value, std::string_view unit,
                  double baseline = NAN, std::string_view baseline_what = "", std::string_view target = "");

}  // namespace sluice::bench
