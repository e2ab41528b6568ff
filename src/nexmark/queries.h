// The Nexmark queries as DataStream pipelines on the public API (include/sluice), and the
// records they produce. Each query takes the stream of events (persons, auctions, bids, with
// their date_time as the record's event timestamp and watermarks from the source) and
// returns its result stream; the caller adds the source and the sink. The same functions
// serve the Kafka jobs (`sluice run nexmark-qN`), the tests and bench_nexmark.
//
// What each query computes (docs/jobs/nexmark.md; window sizes are Flink nexmark's):
//   q0  every bid, as it is (pass-through)
//   q1  every bid with its price in euros: price * 0.908
//   q2  the auction and price of bids on auctions whose id % 123 == 0
//   q3  (name, city, state, auction id) of persons in OR, ID or CA selling in category 10
//   q4  per category, the average closing price: the highest bid of each auction placed
//       between its opening and its expiry, averaged over the category's closed auctions
//       (a running average, one update per auction that closes with a bid)
//   q5  per 10 s window sliding by 2 s, the auction(s) with the most bids
//   q7  per 10 s tumbling window, the bid(s) with the highest price
//   q8  persons who opened an account and created an auction in the same 10 s window
//   q11 per bidder, the number of bids of each session (sessions end after a 10 s gap)
//
// Threads: call from the thread that builds the job. The result records are value types.
#pragma once

#include <cstdint>
#include <string>

#include "generators/nexmark.h"
#include "sluice/sluice.h"

namespace sluice::nexmark {

inline constexpr int64_t kQ2Modulus = 123;
inline constexpr int64_t kQ3Category = 10;
inline constexpr int64_t kQ5WindowMs = 10000;
inline constexpr int64_t kQ5SlideMs = 2000;
inline constexpr int64_t kQ7WindowMs = 10000;
inline constexpr int64_t kQ8WindowMs = 10000;
inline constexpr int64_t kQ11GapMs = 10000;
inline constexpr double kQ1EurosPerDollar = 0.908;

struct Q1Bid {
  int64_t auction = 0;
  int64_t bidder = 0;
  double price = 0;  // euros: dollars * 0.908
  int64_t date_time = 0;
  std::string extra;
  auto operator<=>(const Q1Bid&) const = default;
};

struct Q2Bid {
  int64_t auction = 0;
  int64_t price = 0;
  auto operator<=>(const Q2Bid&) const = default;
};

struct Q3Seller {
  std::string name;
  std::string city;
  std::string state;
  int64_t auction = 0;
  auto operator<=>(const Q3Seller&) const = default;
};

// One update of a category's average: after `auctions` closed auctions, their winning
// prices sum to `sum` and average `average` (sum / auctions).
struct Q4Average {
  int64_t category = 0;
  int64_t auctions = 0;
  int64_t sum = 0;
  double average = 0;
  auto operator<=>(const Q4Average&) const = default;
};

// An auction with the most bids (`bids`) in the window [window_end - 10 s, window_end).
struct Q5HotItem {
  int64_t window_end = 0;
  int64_t auction = 0;
  int64_t bids = 0;
  auto operator<=>(const Q5HotItem&) const = default;
};

// A person (id, name) who also created an auction in the window starting at window_start.
struct Q8NewSeller {
  int64_t id = 0;
  std::string name;
  int64_t window_start = 0;
  auto operator<=>(const Q8NewSeller&) const = default;
};

// A bidder's session [start, end): `bids` bids, none more than 10 s after the previous one;
// end is the last bid's time + 10 s.
struct Q11Session {
  int64_t bidder = 0;
  int64_t bids = 0;
  int64_t start = 0;
  int64_t end = 0;
  auto operator<=>(const Q11Session&) const = default;
};

DataStream<Bid> q0(const DataStream<Event>& events);
DataStream<Q1Bid> q1(const DataStream<Event>& events);
DataStream<Q2Bid> q2(const DataStream<Event>& events);
DataStream<Q3Seller> q3(const DataStream<Event>& events);
DataStream<Q4Average> q4(const DataStream<Event>& events);
DataStream<Q5HotItem> q5(const DataStream<Event>& events);
DataStream<Bid> q7(const DataStream<Event>& events);
DataStream<Q8NewSeller> q8(const DataStream<Event>& events);
DataStream<Q11Session> q11(const DataStream<Event>& events);

}  // namespace sluice::nexmark
