// Generators: deterministic, seeded producers of the seeds' input data (clicks, numbers,
// orders, transactions, video frames), one per kind of JOBS.md. They know nothing of Kafka:
// `sluice generate` sends their records through a producer, the stream engine can wrap one
// as an in-process source.
//
// Contract:
// - Same kind + same GeneratorOptions (seed included) -> the same sequence of records, byte
//   for byte, on every platform (see random.h). Nothing reads the wall clock: event times
//   start at options.start_ms and advance by options.step_ms per record.
// - next(out) overwrites every field of `out`, reusing its strings' capacity: a caller that
//   keeps one GeneratedRecord and calls next() in a loop allocates nothing once the strings
//   have grown to the largest record (the frames kind excepted when it reads a folder).
// - Bad records (corrupt JSON, out-of-range numbers, ...) appear with probability
//   bad_fraction per record and say why in `defect`; good records always parse.
// - A Generator is not thread-safe; use one per thread (e.g. seeds seed+subtask).
// - Generators never end: next() always yields a record. Bounding is the caller's job.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::generators {

// One generated record. The strings are the caller's buffers, overwritten by next().
struct GeneratedRecord {
  std::string key;            // the record key; meaningful only when has_key
  std::string value;          // the record value (text or JSON, as the kind's seed sends)
  int64_t timestamp_ms = 0;   // event time, epoch ms (the value's own ts field when it has one)
  bool has_key = false;
  // Empty for a good record; otherwise why it is bad, e.g. "out of range" (static storage).
  std::string_view defect;

  bool bad() const { return !defect.empty(); }
};

// How event times deviate from the in-order clock (for the event-time jobs' tests). Each
// record independently is late with probability late_fraction (ts = clock - late_by_ms),
// else out of order with probability out_of_order_fraction (ts = clock - uniform(1,
// max_out_of_order_ms)), else in order (ts = clock).
struct Disorder {
  double out_of_order_fraction = 0;
  int64_t max_out_of_order_ms = 5000;
  double late_fraction = 0;
  int64_t late_by_ms = 60000;
};

struct Resolution {
  int width = 0;
  int height = 0;
};

// 2024-05-23T12:34:56Z, the instant of the seeds' own examples (002 and 003).
inline constexpr int64_t kSeedEpochMs = 1716467696000;

// Options of every kind; each kind reads the fields its comment names and ignores the rest.
struct GeneratorOptions {
  uint64_t seed = 1;
  double bad_fraction = -1;  // < 0: the kind's default (KindInfo::default_bad_fraction)
  int64_t start_ms = kSeedEpochMs;  // event time of the first record
  int64_t step_ms = 100;            // event-time advance per record
  Disorder disorder;                // url-clicks, orders, transactions, frames

  // 0: the kind's default. clicks: u1..uN (3, as in the seed); url-clicks: u1..uN (10);
  // transactions: user_1..user_N (100).
  int users = 0;
  int urls = 5;         // url-clicks: /a, /b, ... (the first `urls` of /a../z, then /p27...)
  int pair_sum = 12;    // numbers: good values are 0..pair_sum
  int customers = 100;  // orders: customer-001..customer-N
  int locations = 10;   // transactions: city_1..city_N
  double nexmark_events_per_second = 10000;  // nexmark: event-time rate (the spec's default)

  // frames: synthetic frames at these resolutions (empty: 320x240, 640x480, 1280x720,
  // 1920x1080), pattern "uniform" (one grey level), "gradient" (left-to-right ramp) or
  // "mixed"; or, when frames_dir is set, the JPEG files of that folder in a seeded order.
  std::vector<Resolution> resolutions;
  std::string pattern = "mixed";
  std::string frames_dir;
  int jpeg_quality = 85;
  std::vector<std::string> sources;  // empty: webcam, video_file, sample
};

// A kind of generator: its name, the job it feeds and the topic the seed writes to.
struct KindInfo {
  std::string_view name;               // "clicks"
  std::string_view job;                // "click-count" (also accepted as the kind's name)
  std::string_view default_topic;      // "input-topic"
  int default_partitions;              // for `sluice generate` when it creates the topic
  double default_bad_fraction;         // non-zero where the seed mentions bad records
  bool keyed;                          // whether records carry a key
  std::string_view description;
};

// Every kind, in a fixed order.
std::span<const KindInfo> kinds();
// The kind named `name` (its name or its job's name), or nullptr.
const KindInfo* find_kind(std::string_view name);

class Generator {
 public:
  virtual ~Generator() = default;
  // Writes the next record into `out` (every field; see the contract above).
  virtual void next(GeneratedRecord& out) = 0;
  const KindInfo& kind() const { return *kind_; }
  // The fraction in effect (options.bad_fraction, or the kind's default).
  double bad_fraction() const { return bad_fraction_; }

 protected:
  Generator(const KindInfo& kind, const GeneratorOptions& options);
  const KindInfo* kind_;
  double bad_fraction_;
};

// Makes a generator of `kind` (a name or a job name). Throws std::invalid_argument naming
// the known kinds when `kind` is unknown, or naming the option when one is out of range
// (e.g. users < 1, an unreadable frames_dir).
std::unique_ptr<Generator> make_generator(std::string_view kind, const GeneratorOptions& options);

}  // namespace sluice::generators
