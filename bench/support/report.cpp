#include "report.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

namespace sluice::bench {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string read_first_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string local_time_now() {
  std::time_t now_t = std::time(nullptr);
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&now_t));
  return when;
}

double self_cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

bool write_file(const std::string& path, const std::string& text) {
  std::error_code ec;
  std::filesystem::path out(path);
  if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path(), ec);
  std::ofstream f(out);
  f << text;
  f.close();
  return static_cast<bool>(f);
}

void print_result(std::string_view bench, std::string_view what, double value, std::string_view unit,
                  double baseline, std::string_view baseline_what, std::string_view target) {
  std::string line = "RESULT " + std::string(bench) + " " + std::string(what) + " value=" + fmt("%.6g", value) +
                     " unit=" + std::string(unit);
  if (!std::isnan(baseline)) {
    line += " baseline=" + fmt("%.6g", baseline);
    if (!baseline_what.empty()) line += " baseline_what=" + std::string(baseline_what);
    line += " ratio=" + fmt("%.4g", baseline != 0 ? value / baseline : NAN);
  }
  if (!target.empty()) line += " target=" + std::string(target);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace sluice::bench
