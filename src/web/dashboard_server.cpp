#include "web/dashboard_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/request_metrics.h"
#include "kafka/client/error.h"
#include "web/api_error.h"
#include "web/jobs_provider.h"
#include "web/kafka_views.h"
#include "web/savepoint_target.h"
#include "web/ui_assets.h"

namespace sluice::web {

namespace {

using httplib::Request;
using httplib::Response;

void send_json(Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_json(Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

bool is_loopback_name(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

// The host part of a Host header ("127.0.0.1:8081", "[::1]:8081", "localhost").
std::string host_of(const std::string& header) {
  if (header.starts_with("[")) {
    auto close = header.find(']');
    return close == std::string::npos ? header : header.substr(0, close + 1);
  }
  auto colon = header.rfind(':');
  return colon == std::string::npos ? header : header.substr(0, colon);
}

bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::optional<int64_t> int_param(const Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  const std::string text = req.get_param_value(name);
  if (text.empty()) return std::nullopt;
  try {
    size_t used = 0;
    int64_t v = std::stoll(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw ApiError(400, std::string("query parameter '") + name + "' must be an integer, not '" +
                          text + "'");
}

Json parse_body(const Request& req) {
  try {
    return Json::parse(req.body);
  } catch (const nlohmann::json::parse_error& e) {
    throw ApiError(400, std::string("the request body is not JSON: ") + e.what());
  }
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace

bool parse_ui_address(const std::string& text, std::string& host, uint16_t& port) {
  if (text == "off" || text == "none" || text == "false") return false;
  std::string h = "127.0.0.1";
  std::string p = text;
  auto colon = text.rfind(':');
  if (colon != std::string::npos) {
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
    if (h.empty()) h = "127.0.0.1";
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  }
  try {
    size_t used = 0;
    int v = std::stoi(p, &used);
    if (used != p.size() || v < 0 || v > 65535) throw std::out_of_range(p);
    host = h;
    port = uint16_t(v);
    return true;
  } catch (const std::exception&) {
    throw std::invalid_argument("--ui: expected host:port, a port, or 'off', not '" + text + "'");
  }
}

DashboardServer::DashboardServer(DashboardOptions options, JobsProvider* jobs)
    : options_(std::move(options)),
      jobs_(jobs),
      kafka_(std::make_unique<KafkaViews>(options_.kafka, options_.upload_limit_bytes)),
      server_(std::make_unique<httplib::Server>()) {
  install_routes();
}

DashboardServer::~DashboardServer() { stop(); }

void DashboardServer::start() {
  // httplib's default adds SO_REUSEPORT, which would let a second process bind the same
  // port and take half the requests: only SO_REUSEADDR (restart without TIME_WAIT trouble).
  server_->set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // Multipart framing around the largest accepted file; past this httplib answers 413.
  server_->set_payload_max_length(options_.upload_limit_bytes + 1024 * 1024);
  int port = -1;
  if (options_.port == 0)
    port = server_->bind_to_any_port(options_.host);
  else if (server_->bind_to_port(options_.host, options_.port))
    port = options_.port;
  if (port <= 0)
    throw std::runtime_error("dashboard: cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port) +
                             " (in use?): choose another with --ui host:port, or --ui off");
  port_ = uint16_t(port);
  thread_ = std::thread([this] {
    if (!server_->listen_after_bind()) spdlog::error("dashboard: the HTTP server stopped");
  });
  // httplib's stop() does nothing until the loop runs: wait for it, so that a stop() right
  // after start() cannot leave the thread serving forever.
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void DashboardServer::stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

std::string DashboardServer::url(bool with_token) const {
  std::string host = options_.host;
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  std::string u = "http://" + host + ":" + std::to_string(port_) + "/";
  if (with_token && !options_.token.empty()) u += "#token=" + options_.token;
  return u;
}

void DashboardServer::install_routes() {
  auto& s = *server_;
  const bool loopback_only = is_loopback_name(options_.host);

  s.set_default_headers({
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Cache-Control", "no-store"},
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'"},
  });

  s.set_pre_routing_handler([this, loopback_only](const Request& req, Response& res) {
    const std::string host_header = req.get_header_value("Host");
    if (loopback_only && !host_header.empty() && !is_loopback_name(host_of(host_header)) &&
        host_of(host_header) != options_.host) {
      send_json(res, 403, Json{{"error", "the dashboard answers only to loopback host names"}});
      return httplib::Server::HandlerResponse::Handled;
    }
    const bool mutating = req.method != "GET" && req.method != "HEAD";
    if (!mutating) return httplib::Server::HandlerResponse::Unhandled;
    if (!options_.token.empty()) {
      const std::string auth = req.get_header_value("Authorization");
      if (!auth.starts_with("Bearer ") || !same_secret(auth.substr(7), options_.token)) {
        res.set_header("WWW-Authenticate", "Bearer realm=\"sluice\"");
        send_json(res, 401,
                  Json{{"error", "this call changes something and needs the dashboard's token: "
                                 "Authorization: Bearer <the --ui-token value>"}});
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    const std::string origin = req.get_header_value("Origin");
    if (!origin.empty() && origin != "http://" + host_header) {
      send_json(res, 403, Json{{"error", "cross-site request refused (Origin " + origin + ")"}});
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  s.set_exception_handler([](const Request& req, Response& res, std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const ApiError& e) {
      send_json(res, e.status(), Json{{"error", e.what()}});
    } catch (const kafka::client::ClientError& e) {
      send_json(res, 503, Json{{"error", e.what()}});
    } catch (const nlohmann::json::exception& e) {
      send_json(res, 400, Json{{"error", std::string("bad request: ") + e.what()}});
    } catch (const std::exception& e) {
      spdlog::warn("dashboard: {} {}: {}", req.method, req.path, e.what());
      send_json(res, 500, Json{{"error", e.what()}});
    }
  });

  const size_t limit = options_.upload_limit_bytes;
  s.set_error_handler([limit](const Request& req, Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413)
      send_json(res, 413, Json{{"error", "request too large: an upload takes files of at most " +
                                             std::to_string(limit) + " bytes (--ui-upload-limit)"}});
    else if (res.status == 404)
      send_json(res, 404, Json{{"error", "no such page: " + req.path}});
    else
      send_json(res, res.status, Json{{"error", "HTTP " + std::to_string(res.status)}});
  });

  // --- API ---
  s.Get("/api/ui", [this](const Request&, Response& res) {
    send_json(res, 200,
              Json{{"version", "0.1.0"},
                   {"bootstrap_servers", options_.kafka.bootstrap_servers},
                   {"token_required", !options_.token.empty()},
                   {"upload_limit_bytes", options_.upload_limit_bytes},
                   {"jobs_available", jobs_ != nullptr},
                   {"savepoint_root", options_.savepoint_root.empty() ? Json(nullptr)
                                                                      : Json(options_.savepoint_root)}});
  });
  s.Get("/api/cluster", [this](const Request&, Response& res) {
    Json cluster = kafka_->cluster();
    // The broker's traffic is known only when it runs in this process (Kafka has no API for
    // it); null otherwise, and the UI says so.
    auto& broker = RequestMetrics::global();
    const bool here = options_.broker_metrics || broker.active();
    cluster["broker_bytes_in_total"] = here ? Json(broker.bytes_in()) : Json(nullptr);
    cluster["broker_bytes_out_total"] = here ? Json(broker.bytes_out()) : Json(nullptr);
    send_json(res, 200, cluster);
  });
  s.Get("/api/topics", [this](const Request&, Response& res) {
    send_json(res, 200, kafka_->topics());
  });
  s.Post("/api/topics", [this](const Request& req, Response& res) {
    send_json(res, 201, kafka_->create_topic(parse_body(req)));
  });
  s.Get(R"(/api/topics/([^/]+))", [this](const Request& req, Response& res) {
    send_json(res, 200, kafka_->topic(req.matches[1]));
  });
  s.Delete(R"(/api/topics/([^/]+))", [this](const Request& req, Response& res) {
    const std::string name = req.matches[1];
    kafka_->delete_topic(name);
    send_json(res, 200, Json{{"name", name}, {"deleted", true}});
  });
  s.Get(R"(/api/topics/([^/]+)/messages)", [this](const Request& req, Response& res) {
    MessageQuery q;
    q.partition = int32_t(int_param(req, "partition").value_or(0));
    q.offset = int_param(req, "offset");
    q.timestamp_ms = int_param(req, "timestamp");
    q.limit = int(int_param(req, "limit").value_or(50));
    q.from_beginning = req.get_param_value("from") == "beginning";
    send_json(res, 200, kafka_->messages(req.matches[1], q));
  });
  s.Get("/api/groups", [this](const Request&, Response& res) {
    send_json(res, 200, kafka_->groups());
  });
  s.Get(R"(/api/groups/(.+))", [this](const Request& req, Response& res) {
    send_json(res, 200, kafka_->group(req.matches[1]));
  });
  s.Post("/api/upload", [this](const Request& req, Response& res) {
    if (!req.is_multipart_form_data())
      throw ApiError(400, "send multipart/form-data with one or more parts named 'file'");
    auto [begin, end] = req.files.equal_range("file");
    if (begin == end) throw ApiError(400, "no part named 'file' in the upload");
    for (auto it = begin; it != end; ++it)
      if (it->second.content.size() > options_.upload_limit_bytes)
        throw ApiError(413, "file '" + it->second.filename + "' is " +
                                std::to_string(it->second.content.size()) +
                                " bytes; the upload limit is " +
                                std::to_string(options_.upload_limit_bytes) +
                                " bytes (--ui-upload-limit)");
    Json uploaded = Json::array();
    for (auto it = begin; it != end; ++it)
      uploaded.push_back(kafka_->upload(
          {it->second.filename, it->second.content_type, it->second.content}));
    send_json(res, 201, Json{{"uploaded", std::move(uploaded)}});
  });

  // --- jobs (the engine's seam) ---
  auto need_job = [this](const std::string& id) {
    if (!jobs_) throw ApiError(404, "no job '" + id + "': this process runs no jobs");
    auto job = jobs_->job(id);
    if (job.is_null()) throw ApiError(404, "no job '" + id + "'");
    return job;
  };
  s.Get("/api/jobs", [this](const Request&, Response& res) {
    nlohmann::json out = jobs_ ? jobs_->list_jobs() : nlohmann::json{{"jobs", nlohmann::json::array()}};
    out["available"] = jobs_ != nullptr;
    send_json(res, 200, out);
  });
  s.Get(R"(/api/jobs/([^/]+))", [need_job](const Request& req, Response& res) {
    send_json(res, 200, need_job(req.matches[1]));
  });
  s.Post(R"(/api/jobs/([^/]+)/cancel)", [this, need_job](const Request& req, Response& res) {
    const std::string id = req.matches[1];
    need_job(id);
    if (!jobs_->cancel(id)) throw ApiError(409, "job '" + id + "' is not running");
    send_json(res, 202, Json{{"id", id}, {"cancelled", true}});
  });
  s.Get(R"(/api/jobs/([^/]+)/checkpoints)", [this, need_job](const Request& req, Response& res) {
    const std::string id = req.matches[1];
    need_job(id);
    auto result = jobs_->checkpoints(id);
    if (result.is_null()) throw ApiError(404, "no job '" + id + "'");
    send_json(res, 200, result);
  });
  // Savepoints as Flink's REST API takes them: POST names the directory and answers at once
  // with a request id (202); GET .../savepoints/<request id> tells how it went.
  const SavepointTargetPolicy savepoint_policy{loopback_only, options_.savepoint_root};
  auto start_savepoint = [this, need_job, savepoint_policy](const Request& req, Response& res, bool stop) {
    const std::string id = req.matches[1];
    const std::string status = need_job(id).value("status", "");
    if (status != "RUNNING")
      throw ApiError(409, "job '" + id + "' is " + status + ": only a running job takes a savepoint");
    Json body = req.body.empty() ? Json::object() : parse_body(req);
    std::string requested;
    for (const char* key : {"target-directory", "targetDirectory"}) {
      if (!body.contains(key)) continue;
      if (!body[key].is_string()) throw ApiError(400, std::string("\"") + key + "\" must be a string");
      requested = body[key].get<std::string>();
    }
    const std::string dir = prepare_savepoint_target(requested, savepoint_policy).string();
    auto result = stop ? jobs_->stop_with_savepoint(id, dir) : jobs_->trigger_savepoint(id, dir);
    if (result.is_null()) throw ApiError(404, "no job '" + id + "'");
    res.set_header("Location", "/api/jobs/" + id + "/savepoints/" + result.value("request-id", ""));
    send_json(res, 202, result);
  };
  s.Post(R"(/api/jobs/([^/]+)/savepoints)", [start_savepoint](const Request& req, Response& res) {
    start_savepoint(req, res, false);
  });
  s.Post(R"(/api/jobs/([^/]+)/stop)", [start_savepoint](const Request& req, Response& res) {
    start_savepoint(req, res, true);
  });
  s.Get(R"(/api/jobs/([^/]+)/savepoints/([^/]+))", [this, need_job](const Request& req, Response& res) {
    const std::string id = req.matches[1], request = req.matches[2];
    need_job(id);
    auto result = jobs_->savepoint_status(id, request);
    if (result.is_null()) throw ApiError(404, "job '" + id + "' has no savepoint request '" + request + "'");
    send_json(res, 200, result);
  });

  // --- Prometheus ---
  s.Get("/metrics", [this](const Request&, Response& res) {
    std::string text;
    auto& broker = RequestMetrics::global();
    if (options_.broker_metrics || broker.active()) text += broker.prometheus();
    try {
      text += kafka_->lag_metrics();
    } catch (const std::exception& e) {
      text += "# consumer group lag unavailable: " + one_line(e.what()) + "\n";
    }
    if (jobs_) {
      std::string jobs = jobs_->prometheus_metrics();
      if (!jobs.empty() && jobs.back() != '\n') jobs += '\n';
      text += jobs;
    }
    res.set_content(text, "text/plain; version=0.0.4; charset=utf-8");
  });

  // --- the UI: only files of the embedded table ---
  s.Get(R"(/.*)", [](const Request& req, Response& res) {
    if (req.path.starts_with("/api/")) throw ApiError(404, "no API " + req.path);
    const UiAsset* asset = find_ui_asset(req.path);
    if (!asset) throw ApiError(404, "no such page: " + req.path);
    res.set_content(std::string(asset->body), std::string(asset->content_type).c_str());
  });
}

}  // namespace sluice::web
