#include "generators/nexmark.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string_view>

#include "generators/kinds.h"
#include "generators/random.h"

namespace sluice::nexmark {

namespace {

constexpr int kHotAuctionBatch = 100;  // HOT_AUCTION_RATIO of the spec's BidGenerator
constexpr int kHotBidderBatch = 100;   // HOT_BIDDER_RATIO
constexpr int kHotSellerBatch = 100;   // HOT_SELLER_RATIO
constexpr int kPersonIdLead = 10;
constexpr int kAuctionIdLead = 10;
constexpr int kHotChannelsRatio = 2;
constexpr int kChannels = 10000;
constexpr int kMinStringLength = 3;

constexpr std::array<std::string_view, 6> kStates = {"AZ", "CA", "ID", "OR", "WA", "WY"};
constexpr std::array<std::string_view, 10> kCities = {
    "Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland",
    "Bend",    "Redmond",     "Seattle",       "Kent",  "Cheyenne"};
constexpr std::array<std::string_view, 11> kFirstNames = {
    "Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"};
constexpr std::array<std::string_view, 9> kLastNames = {
    "Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"};
constexpr std::array<std::string_view, 4> kHotChannels = {"Google", "Facebook", "Baidu", "Apple"};

using generators::Random;

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The seed of event n's own Random.
uint64_t event_seed(uint64_t seed, uint64_t n) { return mix64(seed + 0x9e3779b97f4a7c15ULL) ^ (n * 0xd1b54a32d192ed03ULL); }

// The spec's lastBase0PersonId: the newest person id (base 0) at event `id`.
int64_t last_base0_person_id(int64_t id) {
  const int64_t epoch = id / kProportionDenominator;
  int64_t offset = id % kProportionDenominator;
  if (offset >= kPersonProportion) offset = kPersonProportion - 1;
  return epoch * kPersonProportion + offset;
}

// The spec's lastBase0AuctionId: the newest auction id (base 0) at event `id`.
int64_t last_base0_auction_id(int64_t id) {
  int64_t epoch = id / kProportionDenominator;
  int64_t offset = id % kProportionDenominator;
  if (offset < kPersonProportion) {
    --epoch;
    offset = kAuctionProportion - 1;
  } else if (offset >= kPersonProportion + kAuctionProportion) {
    offset = kAuctionProportion - 1;
  } else {
    offset -= kPersonProportion;
  }
  return epoch * kAuctionProportion + offset;
}

// One of the active persons, or up to kPersonIdLead not created yet.
int64_t next_base0_person_id(int64_t id, Random& rng, const Config& c) {
  const int64_t people = last_base0_person_id(id) + 1;
  const int64_t active = std::min<int64_t>(people, c.num_active_people);
  return people - active + static_cast<int64_t>(rng.below(static_cast<uint64_t>(active + kPersonIdLead)));
}

// One of the auctions likely in flight, or up to kAuctionIdLead ahead.
int64_t next_base0_auction_id(int64_t id, Random& rng, const Config& c) {
  const int64_t max_auction = last_base0_auction_id(id);
  const int64_t min_auction = std::max<int64_t>(max_auction - c.num_in_flight_auctions, 0);
  return min_auction +
         static_cast<int64_t>(rng.below(static_cast<uint64_t>(max_auction - min_auction + 1 + kAuctionIdLead)));
}

int64_t next_price(Random& rng) { return std::llround(std::pow(10.0, rng.unit() * 6.0) * 100.0); }

// Random text to cut strings from: 64 KiB of letters, or of letters with a space for about
// 1 in 13 (20 of 256) characters, made once from a fixed seed. A string is a slice at a
// random offset: one draw and a copy instead of a draw or two per character (the spec's
// way), which made generating events cost three times as much; the strings are names and
// padding, whose letters no query reads.
constexpr size_t kPoolSize = 64 * 1024;

std::string make_pool(bool spaces) {
  Random rng(spaces ? 0x5370616365ULL : 0x4c6574746572ULL);
  std::string pool(kPoolSize, 'a');
  for (size_t i = 0; i < kPoolSize; i += 8) {
    uint64_t r = rng.next_u64();
    for (size_t k = 0; k < 8; ++k, r >>= 8) {
      const auto b = static_cast<uint32_t>(r & 0xff);
      pool[i + k] = spaces ? (b < 20 ? ' ' : static_cast<char>('a' + (b - 20) * 26 / 236))
                           : static_cast<char>('a' + b * 26 / 256);
    }
  }
  return pool;
}

const std::string& letters() {
  static const std::string pool = make_pool(false);
  return pool;
}
const std::string& spaced_letters() {
  static const std::string pool = make_pool(true);
  return pool;
}

// n characters (n < kPoolSize) of `pool` at a random offset.
std::string_view slice(Random& rng, const std::string& pool, size_t n) {
  return std::string_view(pool).substr(rng.below(kPoolSize - n), n);
}

// A string of 3..max_length-1 letters with an occasional `space`, trimmed of spaces at both
// ends (the spec's nextString).
void next_string(Random& rng, int max_length, std::string& out, char space = ' ') {
  const auto len = static_cast<size_t>(kMinStringLength) + rng.below(static_cast<uint64_t>(max_length - kMinStringLength));
  const std::string_view text = slice(rng, spaced_letters(), len);
  if (space == ' ') {
    const auto first = text.find_first_not_of(' ');
    if (first == std::string_view::npos) {
      out.clear();
    } else {
      out.assign(text.substr(first, text.find_last_not_of(' ') + 1 - first));
    }
  } else {
    out.assign(text);
    std::replace(out.begin(), out.end(), ' ', space);
  }
}

// Exactly `length` letters.
void append_exact_string(Random& rng, size_t length, std::string& out) {
  while (length > 0) {
    const size_t n = std::min(length, kPoolSize / 2);
    out.append(slice(rng, letters(), n));
    length -= n;
  }
}

// Padding so that current_size + its length is on average `average` (the spec's nextExtra).
void next_extra(Random& rng, int current_size, int average, std::string& out) {
  out.clear();
  if (current_size > average) return;
  const int desired = average - current_size;
  const int delta = static_cast<int>(std::lround(desired * 0.2));
  const int size = desired - delta + (delta == 0 ? 0 : static_cast<int>(rng.below(static_cast<uint64_t>(2 * delta))));
  append_exact_string(rng, static_cast<size_t>(size), out);
}

std::string base_url(Random& rng) {
  std::string url = "https://www.nexmark.com/";
  std::string part;
  for (int i = 0; i < 3; ++i) {
    next_string(rng, 5, part, '_');
    url += part;
    url += '/';
  }
  url += "item.htm?query=1";
  return url;
}

// The url of a channel: fixed per channel (the spec caches one per channel), 9 in 10 with
// the channel's id in it.
std::string channel_url(uint64_t channel) {
  Random rng(mix64(channel + 0x5bd1e995ULL));
  std::string url = base_url(rng);
  if (rng.below(10) > 0) {
    url += "&channel_id=";
    uint32_t x = static_cast<uint32_t>(channel), reversed = 0;  // Java's Integer.reverse
    for (int i = 0; i < 32; ++i, x >>= 1) reversed = (reversed << 1) | (x & 1);
    url += std::to_string(reversed & 0x7fffffffu);
  }
  return url;
}

void put_int(std::string& out, int64_t v) {
  char buf[24];
  out.append(buf, static_cast<size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf));
}

void put_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out.push_back(kHex[(c >> 4) & 0xf]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace

int64_t Event::date_time() const {
  switch (data.index()) {
    case 0: return std::get<Person>(data).date_time;
    case 1: return std::get<Auction>(data).date_time;
    default: return std::get<Bid>(data).date_time;
  }
}

NexmarkGenerator::NexmarkGenerator(const Config& config) : config_(config) {
  auto require = [](bool ok, const char* what) {
    if (!ok) throw std::invalid_argument(std::string("nexmark: ") + what);
  };
  require(config.events_per_second > 0 && config.events_per_second <= 1e6,
          "events per second (event time) must be in (0, 1000000]");
  require(config.num_active_people >= 1, "num_active_people must be 1 or more");
  require(config.num_in_flight_auctions >= 1, "num_in_flight_auctions must be 1 or more");
  require(config.hot_auction_ratio >= 1 && config.hot_sellers_ratio >= 1 && config.hot_bidders_ratio >= 1,
          "hot ratios must be 1 or more");
  require(config.avg_person_bytes >= 0 && config.avg_auction_bytes >= 0 && config.avg_bid_bytes >= 0,
          "average sizes must be 0 or more");
  inter_event_delay_us_ = std::max<int64_t>(1, std::llround(1e6 / config.events_per_second));
  Random rng(0x4e65786d61726bULL);  // "Nexmark": the hot channels' urls are the same for every seed
  for (auto& url : hot_urls_) url = base_url(rng);
}

int64_t NexmarkGenerator::timestamp(uint64_t n) const {
  return config_.base_time_ms + static_cast<int64_t>(n) * inter_event_delay_us_ / 1000;
}

void NexmarkGenerator::event(uint64_t n, Event& out) {
  const uint64_t seed = event_seed(config_.seed, n);
  const auto rem = n % kProportionDenominator;
  if (rem < static_cast<uint64_t>(kPersonProportion)) {
    if (!out.is_person()) out.data.emplace<Person>();
    person(n, seed, std::get<Person>(out.data));
  } else if (rem < static_cast<uint64_t>(kPersonProportion + kAuctionProportion)) {
    if (!out.is_auction()) out.data.emplace<Auction>();
    auction(n, seed, std::get<Auction>(out.data));
  } else {
    if (!out.is_bid()) out.data.emplace<Bid>();
    bid(n, seed, std::get<Bid>(out.data));
  }
}

void NexmarkGenerator::person(uint64_t n, uint64_t rng_seed, Person& p) const {
  Random rng(rng_seed);
  const auto id = static_cast<int64_t>(n);
  p.id = last_base0_person_id(id) + kFirstPersonId;
  p.name.assign(kFirstNames[rng.below(kFirstNames.size())]);
  p.name += ' ';
  p.name += kLastNames[rng.below(kLastNames.size())];
  next_string(rng, 7, p.email_address);
  std::string domain;
  next_string(rng, 5, domain);
  p.email_address += '@';
  p.email_address += domain;
  p.email_address += ".com";
  p.credit_card.clear();
  for (int i = 0; i < 4; ++i) {
    if (i > 0) p.credit_card += ' ';
    const auto group = rng.below(10000);
    char digits[4] = {char('0' + group / 1000), char('0' + group / 100 % 10), char('0' + group / 10 % 10),
                      char('0' + group % 10)};
    p.credit_card.append(digits, 4);
  }
  p.city.assign(kCities[rng.below(kCities.size())]);
  p.state.assign(kStates[rng.below(kStates.size())]);
  p.date_time = timestamp(n);
  const int size = static_cast<int>(8 + p.name.size() + p.email_address.size() + p.credit_card.size() +
                                    p.city.size() + p.state.size());
  next_extra(rng, size, config_.avg_person_bytes, p.extra);
}

void NexmarkGenerator::auction(uint64_t n, uint64_t rng_seed, Auction& a) const {
  Random rng(rng_seed);
  const auto id = static_cast<int64_t>(n);
  a.id = last_base0_auction_id(id) + kFirstAuctionId;
  int64_t seller;
  if (rng.below(static_cast<uint64_t>(config_.hot_sellers_ratio)) > 0) {
    seller = last_base0_person_id(id) / kHotSellerBatch * kHotSellerBatch;
  } else {
    seller = next_base0_person_id(id, rng, config_);
  }
  a.seller = seller + kFirstPersonId;
  a.category = kFirstCategoryId + static_cast<int64_t>(rng.below(kNumCategories));
  a.initial_bid = next_price(rng);
  a.date_time = timestamp(n);
  // Length: on average the span in which num_in_flight_auctions more auctions open.
  const uint64_t events_for_auctions =
      static_cast<uint64_t>(config_.num_in_flight_auctions) * kProportionDenominator / kAuctionProportion;
  const int64_t horizon = timestamp(n + events_for_auctions) - a.date_time;
  a.expires = a.date_time + 1 + static_cast<int64_t>(rng.below(static_cast<uint64_t>(std::max<int64_t>(horizon * 2, 1))));
  next_string(rng, 20, a.item_name);
  next_string(rng, 100, a.description);
  a.reserve = a.initial_bid + next_price(rng);
  const int size = static_cast<int>(8 + a.item_name.size() + a.description.size() + 8 + 8 + 8 + 8 + 8);
  next_extra(rng, size, config_.avg_auction_bytes, a.extra);
}

void NexmarkGenerator::bid(uint64_t n, uint64_t rng_seed, Bid& b) {
  Random rng(rng_seed);
  const auto id = static_cast<int64_t>(n);
  int64_t auction;
  if (rng.below(static_cast<uint64_t>(config_.hot_auction_ratio)) > 0) {
    auction = last_base0_auction_id(id) / kHotAuctionBatch * kHotAuctionBatch;
  } else {
    auction = next_base0_auction_id(id, rng, config_);
  }
  b.auction = auction + kFirstAuctionId;
  int64_t bidder;
  if (rng.below(static_cast<uint64_t>(config_.hot_bidders_ratio)) > 0) {
    // The second person of the batch, so that hot bidders and hot sellers differ.
    bidder = last_base0_person_id(id) / kHotBidderBatch * kHotBidderBatch + 1;
  } else {
    bidder = next_base0_person_id(id, rng, config_);
  }
  b.bidder = bidder + kFirstPersonId;
  b.price = next_price(rng);
  if (rng.below(kHotChannelsRatio) > 0) {
    const auto i = rng.below(kHotChannels.size());
    b.channel.assign(kHotChannels[i]);
    b.url.assign(hot_urls_[i]);
  } else {
    const auto channel = rng.below(kChannels);
    if (channel_urls_.empty()) channel_urls_.resize(kChannels);
    auto& url = channel_urls_[channel];
    if (url.empty()) url = channel_url(channel);
    char name[24] = "channel-";
    const auto end = std::to_chars(name + 8, name + sizeof name, channel).ptr;
    b.channel.assign(name, static_cast<size_t>(end - name));
    b.url.assign(url);
  }
  b.date_time = timestamp(n);
  next_extra(rng, 8 + 8 + 8 + 8, config_.avg_bid_bytes, b.extra);
}

void to_json(const Event& event, std::string& out) {
  out.clear();
  if (event.is_person()) {
    const Person& p = event.person();
    out += R"({"event_type":0,"person":{"id":)";
    put_int(out, p.id);
    out += R"(,"name":)";
    put_string(out, p.name);
    out += R"(,"emailAddress":)";
    put_string(out, p.email_address);
    out += R"(,"creditCard":)";
    put_string(out, p.credit_card);
    out += R"(,"city":)";
    put_string(out, p.city);
    out += R"(,"state":)";
    put_string(out, p.state);
    out += R"(,"dateTime":)";
    put_int(out, p.date_time);
    out += R"(,"extra":)";
    put_string(out, p.extra);
  } else if (event.is_auction()) {
    const Auction& a = event.auction();
    out += R"({"event_type":1,"auction":{"id":)";
    put_int(out, a.id);
    out += R"(,"itemName":)";
    put_string(out, a.item_name);
    out += R"(,"description":)";
    put_string(out, a.description);
    out += R"(,"initialBid":)";
    put_int(out, a.initial_bid);
    out += R"(,"reserve":)";
    put_int(out, a.reserve);
    out += R"(,"dateTime":)";
    put_int(out, a.date_time);
    out += R"(,"expires":)";
    put_int(out, a.expires);
    out += R"(,"seller":)";
    put_int(out, a.seller);
    out += R"(,"category":)";
    put_int(out, a.category);
    out += R"(,"extra":)";
    put_string(out, a.extra);
  } else {
    const Bid& b = event.bid();
    out += R"({"event_type":2,"bid":{"auction":)";
    put_int(out, b.auction);
    out += R"(,"bidder":)";
    put_int(out, b.bidder);
    out += R"(,"price":)";
    put_int(out, b.price);
    out += R"(,"channel":)";
    put_string(out, b.channel);
    out += R"(,"url":)";
    put_string(out, b.url);
    out += R"(,"dateTime":)";
    put_int(out, b.date_time);
    out += R"(,"extra":)";
    put_string(out, b.extra);
  }
  out += "}}";
}

}  // namespace sluice::nexmark

namespace sluice::generators {

namespace {

nexmark::Config config_of(const GeneratorOptions& options) {
  nexmark::Config c;
  c.seed = options.seed;
  c.base_time_ms = options.start_ms;
  c.events_per_second = options.nexmark_events_per_second;
  return c;
}

}  // namespace

NexmarkJsonGenerator::NexmarkJsonGenerator(const GeneratorOptions& options)
    : Generator(kind_info(Kind::nexmark), options), gen_(config_of(options)) {}

void NexmarkJsonGenerator::next(GeneratedRecord& out) {
  gen_.event(n_++, event_);
  nexmark::to_json(event_, out.value);
  out.timestamp_ms = event_.date_time();
  out.key.clear();
  out.has_key = false;
  out.defect = {};
}

}  // namespace sluice::generators
