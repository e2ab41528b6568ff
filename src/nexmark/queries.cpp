#include "nexmark/queries.h"

#include <algorithm>
#include <span>
#include <vector>

namespace sluice::nexmark {

namespace {

// ---- q3: a person and their auctions, joined by person id = seller ----

// What q3 reads of an event: a person in OR/ID/CA, or an auction in category 10.
struct Q3Input {
  bool is_person = false;
  int64_t person = 0;  // the person's id, or the auction's seller
  int64_t auction = 0;
  std::string name, city, state;
};

struct Q3Person {
  std::string name, city, state;
};

// Keyed by person id: keeps the person once seen (they are unique), and the auctions that
// came before their seller did; emits one record per (person, auction).
class JoinSellers final : public KeyedProcessFunction<int64_t, Q3Input, Q3Seller> {
 public:
  void open(const SubtaskInfo&) override {
    person_ = get_state(ValueStateDescriptor<Q3Person>{"person"});
    pending_ = get_list_state(ListStateDescriptor<int64_t>{"auctions before the person"});
  }
  void process_element(const Q3Input& in, Context&, Collector<Q3Seller>& out) override {
    if (in.is_person) {
      if (const auto* waiting = pending_.view()) {
        for (int64_t auction : *waiting) out.collect({in.name, in.city, in.state, auction});
        pending_.clear();
      }
      person_.update({in.name, in.city, in.state});
    } else if (auto p = person_.value()) {
      out.collect({p->name, p->city, p->state, in.auction});
    } else {
      pending_.add(in.auction);
    }
  }

 private:
  ValueState<Q3Person> person_;
  ListState<int64_t> pending_;
};

// ---- q4: winning bids, then the average per category ----

struct Q4Input {
  bool is_auction = false;
  int64_t auction = 0;
  int64_t time = 0;     // the auction's opening, or the bid's time
  int64_t expires = 0;  // auctions
  int64_t category = 0;
  int64_t price = 0;    // bids
};

struct Q4Auction {
  int64_t opens = 0;
  int64_t expires = 0;
  int64_t category = 0;
  int64_t best = -1;  // the highest valid bid so far, -1: none
};

struct Q4PendingBid {
  int64_t time = 0;
  int64_t price = 0;
};

struct Q4Winner {
  int64_t category = 0;
  int64_t price = 0;
};

// How long a closed auction stays known, so that bids arriving after it closed (too late to
// count) are dropped at once instead of waiting as possible early bids.
constexpr int64_t kClosedMemoryMs = 60000;

// Keyed by auction id. A bid counts when placed in [opens, expires] (Flink nexmark's q4).
// Bids can arrive before their auction (another source subtask, or an id ahead of the
// auctions made so far): they wait until the watermark passes their own time, after which
// an auction that would accept them can no longer arrive. At `expires` the auction closes
// and emits its highest bid, if it had one.
class WinningBids final : public KeyedProcessFunction<int64_t, Q4Input, Q4Winner> {
 public:
  void open(const SubtaskInfo&) override {
    auction_ = get_state(ValueStateDescriptor<Q4Auction>{"auction"});
    pending_ = get_list_state(ListStateDescriptor<Q4PendingBid>{"bids before the auction"});
    closed_until_ = get_state(ValueStateDescriptor<int64_t>{"closed until"});
  }
  void process_element(const Q4Input& in, Context& ctx, Collector<Q4Winner>&) override {
    if (in.is_auction) {
      Q4Auction a{in.time, in.expires, in.category, -1};
      if (const auto* early = pending_.view()) {
        for (const auto& b : *early)
          if (b.time >= a.opens && b.time <= a.expires) a.best = std::max(a.best, b.price);
        pending_.clear();
      }
      auction_.update(a);
      ctx.timer_service().register_event_time_timer(a.expires);
      return;
    }
    if (auto a = auction_.value()) {
      if (in.time >= a->opens && in.time <= a->expires && in.price > a->best) {
        a->best = in.price;
        auction_.update(*a);
      }
      return;
    }
    if (closed_until_.value()) return;  // the auction has closed: too late
    if (!pending_.view()) ctx.timer_service().register_event_time_timer(in.time);
    pending_.add({in.time, in.price});
  }
  void on_timer(Timestamp time, OnTimerContext& ctx, Collector<Q4Winner>& out) override {
    if (auto a = auction_.value()) {
      if (time != a->expires) return;
      if (a->best >= 0) out.collect({a->category, a->best});
      auction_.clear();
      closed_until_.update(a->expires + kClosedMemoryMs);
      ctx.timer_service().register_event_time_timer(a->expires + kClosedMemoryMs);
      return;
    }
    if (auto closed = closed_until_.value(); closed && time >= *closed) {
      closed_until_.clear();
      return;
    }
    // No auction yet: bids at or before the watermark can no longer be matched.
    const auto* early = pending_.view();
    if (!early) return;
    const Timestamp watermark = ctx.timer_service().current_watermark();
    std::vector<Q4PendingBid> keep;
    int64_t next = kMaxTimestamp;
    for (const auto& b : *early)
      if (b.time > watermark) {
        keep.push_back(b);
        next = std::min(next, b.time);
      }
    pending_.update(std::move(keep));
    if (next != kMaxTimestamp) ctx.timer_service().register_event_time_timer(next);
  }

 private:
  ValueState<Q4Auction> auction_;
  ListState<Q4PendingBid> pending_;
  ValueState<int64_t> closed_until_;
};

struct Q4Totals {
  int64_t auctions = 0;
  int64_t sum = 0;
};

// Keyed by category: the running average of the winning prices.
class AveragePerCategory final : public KeyedProcessFunction<int64_t, Q4Winner, Q4Average> {
 public:
  void open(const SubtaskInfo&) override { totals_ = get_state(ValueStateDescriptor<Q4Totals>{"totals"}); }
  void process_element(const Q4Winner& w, Context&, Collector<Q4Average>& out) override {
    Q4Totals t = totals_.value_or({});
    ++t.auctions;
    t.sum += w.price;
    totals_.update(t);
    out.collect({w.category, t.auctions, t.sum, static_cast<double>(t.sum) / static_cast<double>(t.auctions)});
  }

 private:
  ValueState<Q4Totals> totals_;
};

// ---- q5: bids per auction per sliding window, then the top auctions per window ----

struct Q5Count {
  int64_t window_end = 0;
  int64_t auction = 0;
  int64_t bids = 0;
};

// One id of a bid (its auction, or its bidder). A struct, not a bare int64_t: windowed
// streams need a class type (WindowedStream's sum/min/max take a pointer to member).
struct BidKey {
  int64_t id = 0;
};

struct CountBids final : AggregateFunction<BidKey, int64_t, int64_t> {
  int64_t create_accumulator() const override { return 0; }
  void add(const BidKey&, int64_t& acc) const override { ++acc; }
  int64_t get_result(const int64_t& acc) const override { return acc; }
  int64_t merge(int64_t a, const int64_t& b) const override { return a + b; }
};

class LabelAuctionCount final : public ProcessWindowFunction<int64_t, Q5Count, int64_t, TimeWindow> {
 public:
  void process(const int64_t& auction, Context& ctx, std::span<const int64_t> counts, Collector<Q5Count>& out) override {
    for (int64_t n : counts) out.collect({ctx.window().end, auction, n});
  }
};

// The auctions holding the largest count of one window.
struct TopAuctions {
  int64_t bids = -1;
  std::vector<int64_t> auctions;
};

struct KeepTopAuctions final : AggregateFunction<Q5Count, TopAuctions, TopAuctions> {
  TopAuctions create_accumulator() const override { return {}; }
  void add(const Q5Count& c, TopAuctions& acc) const override {
    if (c.bids > acc.bids) {
      acc.bids = c.bids;
      acc.auctions.assign(1, c.auction);
    } else if (c.bids == acc.bids) {
      acc.auctions.push_back(c.auction);
    }
  }
  TopAuctions get_result(const TopAuctions& acc) const override { return acc; }
};

class EmitHotItems final : public ProcessWindowFunction<TopAuctions, Q5HotItem, int64_t, TimeWindow> {
 public:
  void process(const int64_t& window_end, Context&, std::span<const TopAuctions> tops,
               Collector<Q5HotItem>& out) override {
    for (const auto& top : tops)
      for (int64_t auction : top.auctions) out.collect({window_end, auction, top.bids});
  }
};

// ---- q7: the highest bids of a tumbling window ----

struct HighestBids {
  int64_t price = -1;
  std::vector<Bid> bids;
};

// Over events (not bids) so that no bid is copied unless it is, for now, the highest.
struct KeepHighestBids final : AggregateFunction<Event, HighestBids, HighestBids> {
  HighestBids create_accumulator() const override { return {}; }
  void add(const Event& e, HighestBids& acc) const override {
    if (!e.is_bid()) return;
    const Bid& b = e.bid();
    if (b.price > acc.price) {
      acc.price = b.price;
      acc.bids.assign(1, b);
    } else if (b.price == acc.price) {
      acc.bids.push_back(b);
    }
  }
  HighestBids get_result(const HighestBids& acc) const override { return acc; }
};

class EmitHighestBids final : public ProcessAllWindowFunction<HighestBids, Bid, TimeWindow> {
 public:
  void process(Context&, std::span<const HighestBids> highest, Collector<Bid>& out) override {
    for (const auto& h : highest)
      for (const auto& b : h.bids) out.collect(b);
  }
};

// ---- q8: persons and sellers of one tumbling window ----

struct Q8Input {
  int64_t id = 0;  // the person's id, or the auction's seller
  bool is_person = false;
  std::string name;
};

struct Q8Window {
  bool person = false;
  bool auction = false;
  std::string name;
};

struct JoinPersonAndSeller final : AggregateFunction<Q8Input, Q8Window, Q8Window> {
  Q8Window create_accumulator() const override { return {}; }
  void add(const Q8Input& in, Q8Window& acc) const override {
    if (in.is_person) {
      acc.person = true;
      acc.name = in.name;
    } else {
      acc.auction = true;
    }
  }
  Q8Window get_result(const Q8Window& acc) const override { return acc; }
};

class EmitNewSellers final : public ProcessWindowFunction<Q8Window, Q8NewSeller, int64_t, TimeWindow> {
 public:
  void process(const int64_t& id, Context& ctx, std::span<const Q8Window> windows, Collector<Q8NewSeller>& out) override {
    for (const auto& w : windows)
      if (w.person && w.auction) out.collect({id, w.name, ctx.window().start});
  }
};

// ---- q11: bids per session ----

class EmitSessions final : public ProcessWindowFunction<int64_t, Q11Session, int64_t, TimeWindow> {
 public:
  void process(const int64_t& bidder, Context& ctx, std::span<const int64_t> counts, Collector<Q11Session>& out) override {
    for (int64_t n : counts) out.collect({bidder, n, ctx.window().start, ctx.window().end});
  }
};

}  // namespace

DataStream<Bid> q0(const DataStream<Event>& events) {
  return events
      .flat_map<Bid>([](const Event& e, Collector<Bid>& out) {
        if (e.is_bid()) out.collect(e.bid());
      })
      .name("q0: bids");
}

DataStream<Q1Bid> q1(const DataStream<Event>& events) {
  return events
      .flat_map<Q1Bid>([](const Event& e, Collector<Q1Bid>& out) {
        if (!e.is_bid()) return;
        const Bid& b = e.bid();
        out.collect({b.auction, b.bidder, kQ1EurosPerDollar * static_cast<double>(b.price), b.date_time, b.extra});
      })
      .name("q1: prices in euros");
}

DataStream<Q2Bid> q2(const DataStream<Event>& events) {
  return events
      .flat_map<Q2Bid>([](const Event& e, Collector<Q2Bid>& out) {
        if (e.is_bid() && e.bid().auction % kQ2Modulus == 0) out.collect({e.bid().auction, e.bid().price});
      })
      .name("q2: auctions % 123");
}

DataStream<Q3Seller> q3(const DataStream<Event>& events) {
  return events
      .flat_map<Q3Input>([](const Event& e, Collector<Q3Input>& out) {
        if (e.is_person()) {
          const Person& p = e.person();
          if (p.state == "OR" || p.state == "ID" || p.state == "CA")
            out.collect({true, p.id, 0, p.name, p.city, p.state});
        } else if (e.is_auction() && e.auction().category == kQ3Category) {
          out.collect({false, e.auction().seller, e.auction().id, {}, {}, {}});
        }
      })
      .name("q3: western persons, category-10 auctions")
      .key_by([](const Q3Input& in) { return in.person; })
      .process(JoinSellers{})
      .name("q3: join on seller");
}

DataStream<Q4Average> q4(const DataStream<Event>& events) {
  return events
      .flat_map<Q4Input>([](const Event& e, Collector<Q4Input>& out) {
        if (e.is_auction()) {
          const Auction& a = e.auction();
          out.collect({true, a.id, a.date_time, a.expires, a.category, 0});
        } else if (e.is_bid()) {
          const Bid& b = e.bid();
          out.collect({false, b.auction, b.date_time, 0, 0, b.price});
        }
      })
      .name("q4: auctions and bids")
      .key_by([](const Q4Input& in) { return in.auction; })
      .process(WinningBids{})
      .name("q4: winning bids")
      .key_by([](const Q4Winner& w) { return w.category; })
      .process(AveragePerCategory{})
      .name("q4: average per category");
}

DataStream<Q5HotItem> q5(const DataStream<Event>& events) {
  return events
      .flat_map<BidKey>([](const Event& e, Collector<BidKey>& out) {
        if (e.is_bid()) out.collect({e.bid().auction});
      })
      .name("q5: bid auctions")
      .key_by([](const BidKey& b) { return b.id; })
      .window(SlidingEventTimeWindows::of(Duration(kQ5WindowMs), Duration(kQ5SlideMs)))
      .aggregate(CountBids{}, LabelAuctionCount{})
      .key_by([](const Q5Count& c) { return c.window_end; })
      .window(TumblingEventTimeWindows::of(Duration(kQ5SlideMs)))
      .aggregate(KeepTopAuctions{}, EmitHotItems{});
}

DataStream<Bid> q7(const DataStream<Event>& events) {
  // filter() passes the bids on as they are (moved, not copied): persons and auctions stay
  // out of the exchange to the single window subtask.
  return events.filter([](const Event& e) { return e.is_bid(); })
      .name("q7: bids")
      .window_all(TumblingEventTimeWindows::of(Duration(kQ7WindowMs)))
      .aggregate(KeepHighestBids{}, EmitHighestBids{});
}

DataStream<Q8NewSeller> q8(const DataStream<Event>& events) {
  return events
      .flat_map<Q8Input>([](const Event& e, Collector<Q8Input>& out) {
        if (e.is_person()) out.collect({e.person().id, true, e.person().name});
        else if (e.is_auction()) out.collect({e.auction().seller, false, {}});
      })
      .name("q8: persons and sellers")
      .key_by([](const Q8Input& in) { return in.id; })
      .window(TumblingEventTimeWindows::of(Duration(kQ8WindowMs)))
      .aggregate(JoinPersonAndSeller{}, EmitNewSellers{});
}

DataStream<Q11Session> q11(const DataStream<Event>& events) {
  return events
      .flat_map<BidKey>([](const Event& e, Collector<BidKey>& out) {
        if (e.is_bid()) out.collect({e.bid().bidder});
      })
      .name("q11: bidders")
      .key_by([](const BidKey& b) { return b.id; })
      .window(EventTimeSessionWindows::with_gap(Duration(kQ11GapMs)))
      .aggregate(CountBids{}, EmitSessions{});
}

}  // namespace sluice::nexmark
