// Small helpers shared by the benchmark commands for their markdown reports: number
// formatting, medians, the machine's load and the time, this process's CPU time, and
// writing the report to --out.
#pragma once

#include <string>
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

}  // namespace sluice::bench
