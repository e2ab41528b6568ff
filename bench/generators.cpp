// bench_generators: records/s of the in-process generators (src/generators/), the clicks
// generator against a baseline measured in the same run: a plain loop that copies the same
// bytes (the clicks values, made beforehand) into the same reused buffers. ratio = the
// generator's records/s / the baseline's. Also counts heap allocations inside the timed
// loops (a replaced operator new), which must be 0 per record once the buffers have grown.
//
//   bench_generators [--records N] [--repeat R] [--smoke]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "generators/clicks.h"
#include "generators/generator.h"
#include "support/report.h"

namespace {

std::atomic<uint64_t> g_allocations{0};

}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using Clock = std::chrono::steady_clock;
using sluice::generators::GeneratedRecord;

struct Result {
  double records_per_s = 0;
  double mb_per_s = 0;
  double allocations_per_record = 0;
  uint64_t checksum = 0;
};

// Runs `step` n times; step returns the bytes it wrote.
template <typename Step>
Result measure(uint64_t n, Step&& step) {
  uint64_t bytes = 0;
  const uint64_t allocs_before = g_allocations.load();
  const auto start = Clock::now();
  for (uint64_t i = 0; i < n; ++i) bytes += step(i);
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  Result r;
  r.records_per_s = static_cast<double>(n) / secs;
  r.mb_per_s = static_cast<double>(bytes) / secs / 1e6;
  r.allocations_per_record =
      static_cast<double>(g_allocations.load() - allocs_before) / static_cast<double>(n);
  r.checksum = bytes;
  return r;
}

void print_row(const char* name, const Result& r, double baseline) {
  std::printf("| %-34s | %9.2f M | %8.1f | %5.2f | %6.3f |\n", name, r.records_per_s / 1e6,
              r.mb_per_s, baseline > 0 ? r.records_per_s / baseline : 1.0,
              r.allocations_per_record);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t records = 5'000'000;
  int repeat = 3;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--smoke")) {
      records = 20'000;
      repeat = 1;
    } else if (!std::strcmp(argv[i], "--records") && i + 1 < argc) {
      records = std::strtoull(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--repeat") && i + 1 < argc) {
      repeat = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--records N] [--repeat R] [--smoke]\n", argv[0]);
      return 2;
    }
  }
  sluice::generators::GeneratorOptions options;
  options.seed = 7;
  options.users = 1000;

  // The baseline's input: the generator's own values, made beforehand (4096 of them, so
  // that they stay in cache as the generator's few tables do).
  std::vector<GeneratedRecord> made(4096);
  {
    sluice::generators::ClickGenerator g(options);
    for (auto& r : made) g.next(r);
  }

  std::printf("clicks generator, %llu records per run, best of %d runs\n\n",
              static_cast<unsigned long long>(records), repeat);
  std::printf("| %-34s | %11s | %8s | %5s | %6s |\n", "loop", "records/s", "MB/s", "ratio",
              "allocs");
  std::printf("|%s|%s|%s|%s|%s|\n", std::string(36, '-').c_str(), std::string(13, '-').c_str(),
              std::string(10, '-').c_str(), std::string(7, '-').c_str(),
              std::string(8, '-').c_str());

  Result base, direct, virt;
  uint64_t sink = 0;
  for (int run = 0; run < repeat; ++run) {
    GeneratedRecord out;
    out.key.reserve(16);
    out.value.reserve(64);
    auto b = measure(records, [&](uint64_t i) {
      const GeneratedRecord& src = made[i & 4095];
      out.key.assign(src.key);
      out.value.assign(src.value);
      out.timestamp_ms = src.timestamp_ms;
      out.has_key = true;
      return out.value.size() + out.key.size();
    });
    sluice::generators::ClickGenerator g(options);
    GeneratedRecord r;
    g.next(r);  // grow the buffers before timing
    auto d = measure(records, [&](uint64_t) {
      g.next(r);
      return r.value.size() + r.key.size();
    });
    auto gp = sluice::generators::make_generator("clicks", options);
    sluice::generators::Generator& gv = *gp;
    gv.next(r);
    auto v = measure(records, [&](uint64_t) {
      gv.next(r);
      return r.value.size() + r.key.size();
    });
    sink += b.checksum + d.checksum + v.checksum;
    if (b.records_per_s > base.records_per_s) base = b;
    if (d.records_per_s > direct.records_per_s) direct = d;
    if (v.records_per_s > virt.records_per_s) virt = v;
  }
  print_row("copy the same bytes (baseline)", base, base.records_per_s);
  print_row("ClickGenerator::next (concrete)", direct, base.records_per_s);
  print_row("Generator::next (virtual)", virt, base.records_per_s);

  std::printf("\nother kinds, same options, %llu records (frames: 1000, at 320x240..1920x1080)\n\n",
              static_cast<unsigned long long>(records / 5));
  for (const char* kind : {"url-clicks", "numbers", "orders", "transactions", "frames"}) {
    auto g = sluice::generators::make_generator(kind, options);
    GeneratedRecord r;
    for (int i = 0; i < 200; ++i) g->next(r);  // warm: buffers, and the frames' image cache
    const uint64_t n = std::string(kind) == "frames" ? 1000 : records / 5;
    auto res = measure(n, [&](uint64_t) {
      g->next(r);
      return r.value.size() + r.key.size();
    });
    sink += res.checksum;
    print_row(kind, res, base.records_per_s);
  }
  std::printf("\nratio: records/s over the baseline's; allocs: heap allocations per record\n");
  sluice::bench::print_result("generators", "clicks_next", direct.records_per_s, "records/s", base.records_per_s,
                              "copy_same_bytes");
  return sink == 42 ? 1 : 0;  // keep the loops' results alive
}
