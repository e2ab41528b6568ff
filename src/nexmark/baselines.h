// Hand-written, single-threaded Nexmark queries: what a programmer would write for one
// query with hash maps and plain loops, no engine. They are the per-core upper bound that
// bench_nexmark compares the engine with, and the independent reference the tests check
// the engine's results against.
//
// Each baseline is fed the events in order (event-time order, as the generator makes them)
// through add(event, emit) and ends with finish(emit); emit(const R&) receives the same
// result records as the engine's query (queries.h) produces, in an order of its own. The
// windowed baselines close a window as soon as an event's time passes its end, so memory
// stays bounded on long inputs. One object per run; not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "nexmark/queries.h"

namespace sluice::nexmark::baseline {

struct Q0 {
  template <class Emit>
  void add(const Event& e, Emit&& emit) {
    if (e.is_bid()) emit(e.bid());
  }
  template <class Emit>
  void finish(Emit&&) {}
};

struct Q1 {
  template <class Emit>
  void add(const Event& e, Emit&& emit) {
    if (!e.is_bid()) return;
    const Bid& b = e.bid();
    emit(Q1Bid{b.auction, b.bidder, kQ1EurosPerDollar * static_cast<double>(b.price), b.date_time, b.extra});
  }
  template <class Emit>
  void finish(Emit&&) {}
};

struct Q2 {
  template <class Emit>
  void add(const Event& e, Emit&& emit) {
    if (e.is_bid() && e.bid().auction % kQ2Modulus == 0) emit(Q2Bid{e.bid().auction, e.bid().price});
  }
  template <class Emit>
  void finish(Emit&&) {}
};

// Persons of OR/ID/CA by id; category-10 auctions whose seller is not known yet wait.
class Q3 {
 public:
  template <class Emit>
  void add(const Event& e, Emit&& emit) {
    if (e.is_person()) {
      const Person& p = e.person();
      if (p.state != "OR" && p.state != "ID" && p.state != "CA") return;
      auto& known = persons_[p.id];
      known = {p.name, p.city, p.state, 0};
      if (auto it = waiting_.find(p.id); it != waiting_.end()) {
        for (int64_t auction : it->second) emit(Q3Seller{p.name, p.city, p.state, auction});
        waiting_.erase(it);
      }
    } else if (e.is_auction() && e.auction().category == kQ3Category) {
      const Auction& a = e.auction();
      if (auto it = persons_.find(a.seller); it != persons_.end()) {
        emit(Q3Seller{it->second.name, it->second.city, it->second.state, a.id});
      } else {
        waiting_[a.seller].push_back(a.id);
      }
    }
  }
  template <class Emit>
  void finish(Emit&&) {}

 private:
  std::unordered_map<int64_t, Q3Seller> persons_;
  std::unordered_map<int64_t, std::vector<int64_t>> waiting_;
};

// Every auction's highest bid within [opens, expires]; a closed auction's winner updates
// its category's average. Auctions close when an event's time passes their expiry. Bids
// for auctions not made yet wait for them (bids may name up to 10 auctions ahead).
class Q4 {
 public:
  template <class Emit>
  void add(const Event& e, Emit&& emit) {
    const int64_t now = e.date_time();
    while (!closing_.empty() && closing_.begin()->first < now) close(closing_.begin(), emit);
    if (e.is_auction()) {
      const Auction& a = e.auction();
      Open open{a.date_time, a.expires, a.category, -1};
      if (auto early = early_.find(a.id); early != early_.end()) {
        for (const auto& [time, price] : early->second)
          if (time >= open.opens && time <= open.expires) open.best = std::max(open.best, price);
        early_.erase(early);
      }
      auctions_[a.id] = open;
      closing_.emplace(a.expires, a.id);
      newest_auction_ = std::max(newest_auction_, a.id);
    } else if (e.is_bid()) {
      const Bid& b = e.bid();
      auto it = auctions_.find(b.auction);
      if (it != auctions_.end()) {
        if (b.date_time >= it->second.opens && b.date_time <= it->second.expires)
          it->second.best = std::max(it->second.best, b.price);
      } else if (b.auction > newest_auction_) {
        // An auction not made yet (ids are made in order); it may open at this very ms.
        early_[b.auction].emplace_back(b.date_time, b.price);
      }
    }
  }
  template <class Emit>
  void finish(Emit&& emit) {
    while (!closing_.empty()) close(closing_.begin(), emit);
  }

 private:
  struct Open {
    int64_t opens, expires, category, best;
  };
  struct Totals {
    int64_t auctions = 0, sum = 0;
  };
  template <class It, class Emit>
  void close(It it, Emit& emit) {
    auto a = auctions_.find(it->second);
    if (a->second.best >= 0) {
      Totals& t = totals_[a->second.category];
      ++t.auctions;
      t.sum += a->second.best;
      emit(Q4Average{a->second.category, t.auctions, t.sum,
                     static_cast<double>(t.sum) / static_cast<double>(t.auctions)});
    }
    auctions_.erase(a);
    closing_.erase(it);
  }

  std::unordered_map<int64_t, Open> auctions_;
  std::multimap<int64_t, int64_t> closing_;  // expires -> auction id
  std::unordered_map<int64_t, Totals> totals_;
  std::unordered_map<int64_t, std::vector<std::pair<int64_t, int64_t>>> early_;  // id -> (time, price)
  int64_t newest_auction_ = INT64_MIN;
};

// Bids per auction for each 10 s window sliding by 2 s, keyed by the window's end.
class Q5 {
 public:
  template <class Emit>
  void add(const Event& e, Emit&& emit) {
    if (!e.is_bid()) return;
    const int64_t t = e.bid().date_time;
    while (!windows_.empty() && windows_.begin()->first <= t) close(emit);
    const int64_t last_start = t - floor_mod(t, kQ5SlideMs);
    for (int64_t start = last_start; start > t - kQ5WindowMs; start -= kQ5SlideMs)
      ++windows_[start + kQ5WindowMs][e.bid().auction];
  }
  template <class Emit>
  void finish(Emit&& emit) {
    while (!windows_.empty()) close(emit);
  }

 private:
  static int64_t floor_mod(int64_t a, int64_t b) { return ((a % b) + b) % b; }
  template <class Emit>
  void close(Emit& emit) {
    auto it = windows_.begin();
    int64_t best = 0;
    for (const auto& [auction, n] : it->second) best = std::max(best, n);
    for (const auto& [auction, n] : it->second)
      if (n == best) emit(Q5HotItem{it->first, auction, n});
    windows_.erase(it);
  }
  std::map<int64_t, std::unordered_map<int64_t, int64_t>> windows_;  // window end -> auction -> bids
};

// The highest-priced bids of each 10 s tumbling window.
class Q7 {
 public:
  template <class Emit>
  void add(const Event& e, Emit&& emit) {
    if (!e.is_bid()) return;
    const Bid& b = e.bid();
    const int64_t start = b.date_time - ((b.date_time % kQ7WindowMs) + kQ7WindowMs) % kQ7WindowMs;
    if (start != start_) {
      flush(emit);
      start_ = start;
    }
    if (b.price > price_) {
      price_ = b.price;
      bids_.assign(1, b);
    } else if (b.price == price_) {
      bids_.push_back(b);
    }
  }
  template <class Emit>
  void finish(Emit&& emit) {
    flush(emit);
  }

 private:
  template <class Emit>
  void flush(Emit& emit) {
    for (const auto& b : bids_) emit(b);
    bids_.clear();
    price_ = -1;
  }
  int64_t start_ = INT64_MIN;
  int64_t price_ = -1;
  std::vector<Bid> bids_;
};

// Persons and sellers of each 10 s tumbling window, joined by id.
class Q8 {
 public:
  template <class Emit>
  void add(const Event& e, Emit&& emit) {
    const int64_t t = e.date_time();
    if (e.is_bid()) return;
    const int64_t start = t - ((t % kQ8WindowMs) + kQ8WindowMs) % kQ8WindowMs;
    if (start != start_) {
      flush(emit);
      start_ = start;
    }
    if (e.is_person()) persons_.emplace(e.person().id, e.person().name);
    else sellers_.insert(e.auction().seller);
  }
  template <class Emit>
  void finish(Emit&& emit) {
    flush(emit);
  }

 private:
  template <class Emit>
  void flush(Emit& emit) {
    for (const auto& [id, name] : persons_)
      if (sellers_.count(id)) emit(Q8NewSeller{id, name, start_});
    persons_.clear();
    sellers_.clear();
  }
  int64_t start_ = INT64_MIN;
  std::unordered_map<int64_t, std::string> persons_;
  std::unordered_set<int64_t> sellers_;
};

// Per bidder, the open session (first bid, last bid, count); a bid more than 10 s after
// the last one starts a new session. Sessions idle for longer than the gap are emitted as
// time passes (checked once per second of event time).
class Q11 {
 public:
  template <class Emit>
  void add(const Event& e, Emit&& emit) {
    if (!e.is_bid()) return;
    const int64_t t = e.bid().date_time;
    if (t >= next_sweep_) {
      sweep(t, emit);
      next_sweep_ = t + 1000;
    }
    auto [it, fresh] = open_.try_emplace(e.bid().bidder, Session{t, t, 0});
    Session& s = it->second;
    if (!fresh && t > s.last + kQ11GapMs) {
      emit(Q11Session{it->first, s.bids, s.first, s.last + kQ11GapMs});
      s = Session{t, t, 0};
    }
    s.last = std::max(s.last, t);
    ++s.bids;
  }
  template <class Emit>
  void finish(Emit&& emit) {
    for (const auto& [bidder, s] : open_) emit(Q11Session{bidder, s.bids, s.first, s.last + kQ11GapMs});
    open_.clear();
  }

 private:
  struct Session {
    int64_t first, last, bids;
  };
  template <class Emit>
  void sweep(int64_t now, Emit& emit) {
    for (auto it = open_.begin(); it != open_.end();) {
      if (now > it->second.last + kQ11GapMs) {
        emit(Q11Session{it->first, it->second.bids, it->second.first, it->second.last + kQ11GapMs});
        it = open_.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::unordered_map<int64_t, Session> open_;
  int64_t next_sweep_ = INT64_MIN;
};

}  // namespace sluice::nexmark::baseline
