// Nexmark events and query results as JSON, for the Kafka jobs (`sluice run nexmark-qN`).
// Events are read in the format `sluice generate nexmark` writes (nexmark::to_json in
// generators/nexmark.h); results are written as one JSON object per record with the
// camelCase field names of Flink nexmark (docs/jobs/nexmark.md lists them).
// Free functions; safe from any thread.
#pragma once

#include <simdjson.h>

#include "nexmark/queries.h"
#include "sluice/json.h"

namespace sluice::nexmark {

// Throws (std::invalid_argument or a simdjson error) when the document is not an event.
Event parse_event(simdjson::ondemand::document& doc);

void write_json(const Bid& b, JsonWriter& w);
void write_json(const Q1Bid& b, JsonWriter& w);
void write_json(const Q2Bid& b, JsonWriter& w);
void write_json(const Q3Seller& s, JsonWriter& w);
void write_json(const Q4Average& a, JsonWriter& w);
void write_json(const Q5HotItem& h, JsonWriter& w);
void write_json(const Q8NewSeller& s, JsonWriter& w);
void write_json(const Q11Session& s, JsonWriter& w);

}  // namespace sluice::nexmark
