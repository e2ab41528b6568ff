// bench_json: the connectors' JSON path against nlohmann::json (what a user would reach for),
// in one run, on the url-clicks records of the seeds' generator
// ({"ts":..,"url":"/a","userId":"u7"}):
//   read:  json_ondemand_deserializer<Click> (simdjson on-demand, no tree),
//          json_deserializer<Click> (JsonValue tree built with simdjson),
//          nlohmann::json::parse + field access;
//   write: JsonWriter into a reused string vs nlohmann::json object + dump(), for the
//          click-windows output {"url":..,"count":..,"windowStart":..,"windowEnd":..}.
// Prints records/s (best of --repeat) and the ratios. Exit 0, or 1 when a reader disagrees.
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "generators/generator.h"
#include "sluice/json.h"
#include "support/report.h"

using Clock = std::chrono::steady_clock;
using sluice::bench::fmt;

namespace {

struct Click {
  int64_t ts = 0;
  std::string url;
  std::string user;
};

template <class F>
double best_rate(int repeat, size_t n, F&& run) {
  double best = 0;
  for (int r = 0; r < repeat; ++r) {
    const auto start = Clock::now();
    run();
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    best = std::max(best, n / s);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 300000;
  int repeat = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--smoke") {
      n = 5000;
      repeat = 1;
    } else if (a == "--records" && i + 1 < argc) {
      n = std::stoul(argv[++i]);
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::stoi(argv[++i]);
    } else {
      std::cerr << "usage: bench_json [--records N] [--repeat K] [--smoke]\n";
      return 2;
    }
  }
  sluice::generators::GeneratorOptions options;
  options.bad_fraction = 0;
  auto gen = sluice::generators::make_generator("url-clicks", options);
  std::vector<std::string> values;
  sluice::generators::GeneratedRecord rec;
  size_t bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    gen->next(rec);
    values.push_back(rec.value);
    bytes += rec.value.size();
  }
  auto view = [](const std::string& v) {
    sluice::KafkaRecordView r;
    r.value = v;
    return r;
  };

  auto ondemand = sluice::json_ondemand_deserializer<Click>([](simdjson::ondemand::document& doc) {
    Click c;
    for (auto field : doc.get_object()) {
      const std::string_view key = field.unescaped_key();
      if (key == "ts") {
        c.ts = field.value().get_int64();
      } else if (key == "url") {
        c.url = std::string_view(field.value());
      } else if (key == "userId") {
        c.user = std::string_view(field.value());
      }
    }
    return c;
  });
  auto tree = sluice::json_deserializer<Click>([](const sluice::JsonValue& v) {
    return Click{v.at("ts").as_int(), v.at("url").as_string(), v.at("userId").as_string()};
  });

  int64_t sum_a = 0, sum_b = 0, sum_c = 0;
  const double r_ondemand = best_rate(repeat, n, [&] {
    sum_a = 0;
    for (const auto& v : values) sum_a += ondemand(view(v)).value().ts;
  });
  const double r_tree = best_rate(repeat, n, [&] {
    sum_b = 0;
    for (const auto& v : values) sum_b += tree(view(v)).value().ts;
  });
  const double r_nlohmann = best_rate(repeat, n, [&] {
    sum_c = 0;
    for (const auto& v : values) {
      const auto j = nlohmann::json::parse(v);
      Click c{j.at("ts").get<int64_t>(), j.at("url").get<std::string>(),
              j.at("userId").get<std::string>()};
      sum_c += c.ts;
    }
  });
  if (sum_a != sum_b || sum_a != sum_c) {
    std::cerr << "error: the readers disagree\n";
    return 1;
  }

  size_t out_bytes = 0;
  std::string out;
  const double w_writer = best_rate(repeat, n, [&] {
    out_bytes = 0;
    for (size_t i = 0; i < n; ++i) {
      out.clear();
      sluice::JsonWriter w(out);
      w.begin_object()
          .field("url", "/a")
          .field("count", static_cast<int64_t>(i))
          .field("windowStart", static_cast<int64_t>(1716467695000 + i))
          .field("windowEnd", static_cast<int64_t>(1716467700000 + i))
          .end_object();
      out_bytes += out.size();
    }
  });
  size_t out_bytes2 = 0;
  const double w_nlohmann = best_rate(repeat, n, [&] {
    out_bytes2 = 0;
    for (size_t i = 0; i < n; ++i) {
      nlohmann::json j;
      j["url"] = "/a";
      j["count"] = static_cast<int64_t>(i);
      j["windowStart"] = static_cast<int64_t>(1716467695000 + i);
      j["windowEnd"] = static_cast<int64_t>(1716467700000 + i);
      out_bytes2 += j.dump().size();
    }
  });

  std::cout << "## JSON read/write (" << sluice::bench::local_time_now() << ")\n\n"
            << n << " url-clicks values (" << fmt("%.0f", static_cast<double>(bytes) / n)
            << " B each), best of " << repeat << "; load "
            << sluice::bench::read_first_line("/proc/loadavg")
            << "\n\n| read (value -> Click) | records/s | ratio to nlohmann |\n|---|---:|---:|\n"
            << "| json_ondemand_deserializer (simdjson on-demand) | " << fmt("%.0f", r_ondemand)
            << " | " << fmt("%.2f", r_ondemand / r_nlohmann) << " |\n"
            << "| json_deserializer (JsonValue tree) | " << fmt("%.0f", r_tree) << " | "
            << fmt("%.2f", r_tree / r_nlohmann) << " |\n"
            << "| nlohmann::json::parse | " << fmt("%.0f", r_nlohmann) << " | 1.00 |\n\n"
            << "| write (4-field object) | records/s | ratio to nlohmann |\n|---|---:|---:|\n"
            << "| JsonWriter, reused string | " << fmt("%.0f", w_writer) << " | "
            << fmt("%.2f", w_writer / w_nlohmann) << " |\n"
            << "| nlohmann::json + dump() | " << fmt("%.0f", w_nlohmann) << " | 1.00 |\n";
  sluice::bench::print_result("json", "read_simdjson_ondemand", r_ondemand, "records/s", r_nlohmann, "nlohmann_parse");
  sluice::bench::print_result("json", "write_JsonWriter", w_writer, "records/s", w_nlohmann, "nlohmann_dump");
  return out_bytes == out_bytes2 ? 0 : 1;
}
