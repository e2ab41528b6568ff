#include "nexmark/json_codec.h"

#include <stdexcept>
#include <string>

namespace sluice::nexmark {

namespace {

std::string text(simdjson::ondemand::object& o, std::string_view key) {
  std::string_view v = o[key].get_string();
  return std::string(v);
}
int64_t number(simdjson::ondemand::object& o, std::string_view key) { return o[key].get_int64(); }

}  // namespace

Event parse_event(simdjson::ondemand::document& doc) {
  const int64_t type = doc["event_type"].get_int64();
  Event e;
  if (type == 0) {
    simdjson::ondemand::object o = doc["person"].get_object();
    Person p;
    p.id = number(o, "id");
    p.name = text(o, "name");
    p.email_address = text(o, "emailAddress");
    p.credit_card = text(o, "creditCard");
    p.city = text(o, "city");
    p.state = text(o, "state");
    p.date_time = number(o, "dateTime");
    p.extra = text(o, "extra");
    e.data = std::move(p);
  } else if (type == 1) {
    simdjson::ondemand::object o = doc["auction"].get_object();
    Auction a;
    a.id = number(o, "id");
    a.item_name = text(o, "itemName");
    a.description = text(o, "description");
    a.initial_bid = number(o, "initialBid");
    a.reserve = number(o, "reserve");
    a.date_time = number(o, "dateTime");
    a.expires = number(o, "expires");
    a.seller = number(o, "seller");
    a.category = number(o, "category");
    a.extra = text(o, "extra");
    e.data = std::move(a);
  } else if (type == 2) {
    simdjson::ondemand::object o = doc["bid"].get_object();
    Bid b;
    b.auction = number(o, "auction");
    b.bidder = number(o, "bidder");
    b.price = number(o, "price");
    b.channel = text(o, "channel");
    b.url = text(o, "url");
    b.date_time = number(o, "dateTime");
    b.extra = text(o, "extra");
    e.data = std::move(b);
  } else {
    throw std::invalid_argument("event_type " + std::to_string(type) + " is none of 0 (person), 1 (auction), 2 (bid)");
  }
  return e;
}

void write_json(const Bid& b, JsonWriter& w) {
  w.begin_object()
      .field("auction", b.auction)
      .field("bidder", b.bidder)
      .field("price", b.price)
      .field("channel", b.channel)
      .field("url", b.url)
      .field("dateTime", b.date_time)
      .field("extra", b.extra)
      .end_object();
}

void write_json(const Q1Bid& b, JsonWriter& w) {
  w.begin_object()
      .field("auction", b.auction)
      .field("bidder", b.bidder)
      .field("price", b.price)
      .field("dateTime", b.date_time)
      .field("extra", b.extra)
      .end_object();
}

void write_json(const Q2Bid& b, JsonWriter& w) {
  w.begin_object().field("auction", b.auction).field("price", b.price).end_object();
}

void write_json(const Q3Seller& s, JsonWriter& w) {
  w.begin_object().field("name", s.name).field("city", s.city).field("state", s.state).field("id", s.auction).end_object();
}

void write_json(const Q4Average& a, JsonWriter& w) {
  w.begin_object()
      .field("category", a.category)
      .field("auctions", a.auctions)
      .field("sum", a.sum)
      .field("average", a.average)
      .end_object();
}

void write_json(const Q5HotItem& h, JsonWriter& w) {
  w.begin_object().field("auction", h.auction).field("num", h.bids).field("windowEnd", h.window_end).end_object();
}

void write_json(const Q8NewSeller& s, JsonWriter& w) {
  w.begin_object().field("id", s.id).field("name", s.name).field("starttime", s.window_start).end_object();
}

void write_json(const Q11Session& s, JsonWriter& w) {
  w.begin_object()
      .field("bidder", s.bidder)
      .field("bid_count", s.bids)
      .field("starttime", s.start)
      .field("endtime", s.end)
      .end_object();
}

}  // namespace sluice::nexmark
