// Nexmark: the auction-site events of the Nexmark benchmark (persons, auctions, bids), made
// as the Nexmark generator of Apache Beam / nexmark-flink makes them, and the kind "nexmark"
// of `sluice generate` that writes them to Kafka as JSON.
//
// Facts carried over from the specification (the code is ours):
// - Out of every 50 consecutive events, 1 is a person, 3 are auctions and 46 are bids, in
//   that order (event n is a person when n % 50 == 0, an auction when n % 50 is 1..3).
// - Person ids and auction ids count up from 1000 (FIRST_PERSON_ID, FIRST_AUCTION_ID) in
//   event order; categories are 10..14 (FIRST_CATEGORY_ID 10, NUM_CATEGORIES 5).
// - An auction's seller is, with probability 1 - 1/hot_sellers_ratio, the first person of the
//   last batch of 100 persons (a "hot" seller), else one of the last num_active_people
//   persons (plus up to 10 persons not created yet). A bid's auction is, with probability
//   1 - 1/hot_auction_ratio, the first auction of the last batch of 100 (a "hot" auction),
//   else one of the last num_in_flight_auctions (plus 10 ahead); its bidder is the second
//   person of the last batch of 100 with probability 1 - 1/hot_bidders_ratio, else active.
// - Prices are round(10^(6u) * 100) cents, u uniform in [0, 1); a reserve is the initial bid
//   plus another price. An auction expires 1 + uniform[0, 2h) ms after it opens, h being the
//   event-time span in which num_in_flight_auctions more auctions open.
// - Event time: event n happens at base_time_ms + n * inter_event_delay_us / 1000, with an
//   inter-event delay of 1e6 / events_per_second microseconds (10,000 events/s by default).
// - Bids carry a channel (half of them one of Google, Facebook, Baidu, Apple with a fixed url,
//   the others "channel-N", N < 10,000, with that channel's own url) and every event an
//   "extra" string that pads it towards the spec's average size (person 200, auction 500,
//   bid 100 bytes).
//
// Not as the spec: strings (names, emails, descriptions, padding) are slices of a fixed
// pool of random letters at a random offset, not drawn letter by letter; that made the
// generator three times faster, and no query reads their letters.
//
// Determinism: event n is a pure function of (config, n); it draws from a Random seeded by
// config.seed and n alone. So any subset of events (e.g. subtask s of p making the events
// s, s+p, ...) is made identically, whatever the split, on every platform.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "generators/generator.h"

namespace sluice::nexmark {

struct Person {
  int64_t id = 0;
  std::string name;
  std::string email_address;
  std::string credit_card;
  std::string city;
  std::string state;
  int64_t date_time = 0;  // epoch ms
  std::string extra;
  auto operator<=>(const Person&) const = default;
};

struct Auction {
  int64_t id = 0;
  std::string item_name;
  std::string description;
  int64_t initial_bid = 0;
  int64_t reserve = 0;
  int64_t date_time = 0;  // epoch ms
  int64_t expires = 0;    // epoch ms
  int64_t seller = 0;     // a person id
  int64_t category = 0;
  std::string extra;
  auto operator<=>(const Auction&) const = default;
};

struct Bid {
  int64_t auction = 0;  // an auction id
  int64_t bidder = 0;   // a person id
  int64_t price = 0;    // cents
  std::string channel;
  std::string url;
  int64_t date_time = 0;  // epoch ms
  std::string extra;
  auto operator<=>(const Bid&) const = default;
};

// One Nexmark event: exactly one of a person, an auction or a bid. A value type.
struct Event {
  std::variant<Person, Auction, Bid> data;

  bool is_person() const { return data.index() == 0; }
  bool is_auction() const { return data.index() == 1; }
  bool is_bid() const { return data.index() == 2; }
  const Person& person() const { return std::get<Person>(data); }
  const Auction& auction() const { return std::get<Auction>(data); }
  const Bid& bid() const { return std::get<Bid>(data); }
  // The event's own time (date_time of whichever it holds).
  int64_t date_time() const;
  bool operator==(const Event&) const = default;
};

inline constexpr int64_t kFirstPersonId = 1000;
inline constexpr int64_t kFirstAuctionId = 1000;
inline constexpr int64_t kFirstCategoryId = 10;
inline constexpr int kNumCategories = 5;
inline constexpr int kPersonProportion = 1;
inline constexpr int kAuctionProportion = 3;
inline constexpr int kBidProportion = 46;
inline constexpr int kProportionDenominator = kPersonProportion + kAuctionProportion + kBidProportion;

// The generator's settings; the defaults are the Nexmark specification's.
struct Config {
  uint64_t seed = 1;
  int64_t base_time_ms = generators::kSeedEpochMs;  // event time of event 0
  double events_per_second = 10000;                 // event-time rate
  int num_active_people = 1000;
  int num_in_flight_auctions = 100;
  int hot_auction_ratio = 2;
  int hot_sellers_ratio = 4;
  int hot_bidders_ratio = 4;
  int avg_person_bytes = 200;
  int avg_auction_bytes = 500;
  int avg_bid_bytes = 100;
};

// Makes Nexmark events by number. Not thread-safe (it reuses scratch space); cheap to make,
// so use one per thread. Throws std::invalid_argument from the constructor for a config out
// of range (a rate <= 0, ratios < 1, ...), naming the field.
class NexmarkGenerator {
 public:
  explicit NexmarkGenerator(const Config& config);

  // Writes event `n` (0-based) into `out`, reusing its strings' capacity when `out` already
  // holds an event of the same type.
  void event(uint64_t n, Event& out);
  // The event time of event n.
  int64_t timestamp(uint64_t n) const;
  const Config& config() const { return config_; }

 private:
  void person(uint64_t n, uint64_t rng_seed, Person& out) const;
  void auction(uint64_t n, uint64_t rng_seed, Auction& out) const;
  void bid(uint64_t n, uint64_t rng_seed, Bid& out);

  Config config_;
  int64_t inter_event_delay_us_;
  std::array<std::string, 4> hot_urls_;       // of Google, Facebook, Baidu, Apple
  std::vector<std::string> channel_urls_;     // channel-N's url, made when first drawn
};

// JSON of one event, the format `sluice generate nexmark` writes (Flink nexmark's field
// names; times as epoch ms):
//   {"event_type":0,"person":{"id":..,"name":..,"emailAddress":..,"creditCard":..,"city":..,
//     "state":..,"dateTime":..,"extra":..}}
//   {"event_type":1,"auction":{"id":..,"itemName":..,"description":..,"initialBid":..,
//     "reserve":..,"dateTime":..,"expires":..,"seller":..,"category":..,"extra":..}}
//   {"event_type":2,"bid":{"auction":..,"bidder":..,"price":..,"channel":..,"url":..,
//     "dateTime":..,"extra":..}}
// Overwrites `out`.
void to_json(const Event& event, std::string& out);

}  // namespace sluice::nexmark

namespace sluice::generators {

// Kind "nexmark": Nexmark events as JSON (nexmark::to_json), no key, event n at step n.
// GeneratorOptions: seed, start_ms (event time of event 0), nexmark_events_per_second.
// Makes no bad records.
class NexmarkJsonGenerator final : public Generator {
 public:
  explicit NexmarkJsonGenerator(const GeneratorOptions& options);
  void next(GeneratedRecord& out) override;

 private:
  nexmark::NexmarkGenerator gen_;
  nexmark::Event event_;
  uint64_t n_ = 0;
};

}  // namespace sluice::generators
