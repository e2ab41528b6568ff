// DashboardServer without a Kafka cluster: the UI files, the jobs seam (with the test-only
// FakeJobsProvider), the token on mutating calls, the Host and Origin checks, and the
// --ui flag's parsing. The Kafka endpoints are tested against a real broker in
// tests/integration/test_web.py.
#include "web/dashboard_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "fake_jobs_provider.h"

namespace sluice::web {
namespace {

using nlohmann::json;

class DashboardTest : public ::testing::Test {
 protected:
  void start(std::string token = "", JobsProvider* jobs = nullptr) {
    DashboardOptions o;
    o.port = 0;
    o.kafka.bootstrap_servers = "127.0.0.1:1";  // nothing listens there
    o.kafka.timeout_seconds = 1;
    o.token = std::move(token);
    server_ = std::make_unique<DashboardServer>(o, jobs);
    server_->start();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(std::chrono::seconds(20));
  }
  httplib::Headers bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }

  testing::FakeJobsProvider jobs_;
  std::unique_ptr<DashboardServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(DashboardTest, ServesTheEmbeddedUiWithSecurityHeaders) {
  start();
  auto res = client_->Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(res->body.find("<script type=\"module\" src=\"/js/app.js\">"), std::string::npos);
  EXPECT_NE(res->get_header_value("Content-Security-Policy").find("script-src 'self'"),
            std::string::npos);
  EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
  res = client_->Get("/js/dag.js");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
}

TEST_F(DashboardTest, NoRequestPathReachesTheFileSystem) {
  start();
  for (const char* path : {"/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/etc/passwd",
                           "/js/../../CMakeLists.txt", "/api/../../etc/passwd", "/.git/config"}) {
    auto res = client_->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_EQ(res->body.find("root:"), std::string::npos) << path;
  }
}

TEST_F(DashboardTest, WithoutAProviderThereAreNoJobs) {
  start();
  auto res = client_->Get("/api/jobs");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  auto body = json::parse(res->body);
  EXPECT_EQ(body["available"], false);
  EXPECT_TRUE(body["jobs"].empty());
  res = client_->Get("/api/jobs/x");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_FALSE(json::parse(res->body)["error"].get<std::string>().empty());
}

TEST_F(DashboardTest, ServesTheProvidersJobsAndItsMetrics) {
  start("", &jobs_);
  auto res = client_->Get("/api/jobs");
  ASSERT_TRUE(res);
  auto body = json::parse(res->body);
  EXPECT_EQ(body["available"], true);
  ASSERT_EQ(body["jobs"].size(), 1u);
  EXPECT_EQ(body["jobs"][0]["status"], "RUNNING");

  res = client_->Get("/api/jobs/a1b2c3");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  auto job = json::parse(res->body);
  EXPECT_EQ(job["vertices"].size(), 5u);
  EXPECT_EQ(job["edges"][1]["ship_strategy"], "HASH");
  EXPECT_EQ(client_->Get("/api/jobs/nope")->status, 404);

  res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("sluice_job_uptime_seconds{job=\"click-count\"}"), std::string::npos);
  // Kafka at 127.0.0.1:1 does not answer: said in a comment, not an error status.
  EXPECT_NE(res->body.find("# consumer group lag unavailable"), std::string::npos);
}

// Polls a savepoint request until it ends; returns its last status.
json await_request(httplib::Client& client, const std::string& location) {
  for (int i = 0; i < 100; ++i) {
    auto res = client.Get(location);
    if (!res || res->status != 200) return {{"http", res ? res->status : -1}};
    auto status = json::parse(res->body);
    if (status["status"] != "IN_PROGRESS") return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return {{"status", "still IN_PROGRESS after 5 s"}};
}

TEST_F(DashboardTest, SavepointsAreRequestsWhoseStatusIsPolled) {
  start("", &jobs_);
  const std::string dir = ::testing::TempDir() + "sluice-savepoints-" + std::to_string(::getpid()) + "/a/b";
  std::filesystem::remove_all(dir);
  auto res = client_->Post("/api/jobs/a1b2c3/savepoints", json{{"target-directory", dir}}.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202) << res->body;
  const std::string rid = json::parse(res->body)["request-id"];
  EXPECT_EQ(res->get_header_value("Location"), "/api/jobs/a1b2c3/savepoints/" + rid);
  EXPECT_TRUE(std::filesystem::is_directory(dir)) << "the target directory is created";
  auto first = json::parse(client_->Get("/api/jobs/a1b2c3/savepoints/" + rid)->body);
  EXPECT_EQ(first["status"], "IN_PROGRESS");
  EXPECT_EQ(first["operation"], "savepoint");
  auto done = await_request(*client_, "/api/jobs/a1b2c3/savepoints/" + rid);
  EXPECT_EQ(done["status"], "COMPLETED") << done;
  EXPECT_EQ(done["location"], dir + "/savepoint-click-count-1");
  auto cps = json::parse(client_->Get("/api/jobs/a1b2c3/checkpoints")->body);
  EXPECT_EQ(cps["counts"]["completed"], 1);
  EXPECT_EQ(cps["history"][0]["savepoint"], true);
  EXPECT_EQ(cps["latest"]["savepoint"]["path"], done["location"]);
  EXPECT_EQ(client_->Get("/api/jobs/a1b2c3/savepoints/99")->status, 404);
  EXPECT_EQ(client_->Get("/api/jobs/nope/checkpoints")->status, 404);

  // A failure is told with its reason.
  res = client_->Post("/api/jobs/a1b2c3/savepoints", json{{"target-directory", dir + "/fail"}}.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202);
  auto failed = await_request(*client_, "/api/jobs/a1b2c3/savepoints/" + json::parse(res->body)["request-id"].get<std::string>());
  EXPECT_EQ(failed["status"], "FAILED");
  EXPECT_NE(failed["failure"].get<std::string>().find("No space left"), std::string::npos) << failed;

  // Stop with a savepoint: Flink's key spelling accepted too; the job ends.
  res = client_->Post("/api/jobs/a1b2c3/stop", json{{"targetDirectory", dir}}.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202) << res->body;
  auto stopped = await_request(*client_, "/api/jobs/a1b2c3/savepoints/" + json::parse(res->body)["request-id"].get<std::string>());
  EXPECT_EQ(stopped["status"], "COMPLETED") << stopped;
  EXPECT_EQ(stopped["operation"], "stop");
  EXPECT_EQ(json::parse(client_->Get("/api/jobs/a1b2c3")->body)["status"], "FINISHED");
  // Only a running job takes one.
  res = client_->Post("/api/jobs/a1b2c3/savepoints", json{{"target-directory", dir}}.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 409);
  std::filesystem::remove_all(::testing::TempDir() + "sluice-savepoints-" + std::to_string(::getpid()));
}

TEST_F(DashboardTest, ASavepointNeedsAnAbsoluteDirectory) {
  start("", &jobs_);
  for (const std::string& body : {std::string(""), json{{"target-directory", ""}}.dump(),
                                  json{{"target-directory", "relative/dir"}}.dump(),
                                  json{{"target-directory", 42}}.dump(), std::string("not json"),
                                  json{{"target-directory", "/proc/self/no/such"}}.dump()}) {
    auto res = client_->Post("/api/jobs/a1b2c3/savepoints", body, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << body << " -> " << res->body;
    EXPECT_FALSE(json::parse(res->body)["error"].get<std::string>().empty());
  }
  EXPECT_EQ(client_->Post("/api/jobs/nope/savepoints", json{{"target-directory", "/tmp"}}.dump(), "application/json")->status, 404);
  EXPECT_EQ(json::parse(client_->Get("/api/jobs/a1b2c3/checkpoints")->body)["counts"]["total"], 0);
}

TEST_F(DashboardTest, CancelEndsTheJob) {
  start("", &jobs_);
  auto res = client_->Post("/api/jobs/a1b2c3/cancel", "", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  EXPECT_EQ(json::parse(client_->Get("/api/jobs/a1b2c3")->body)["status"], "CANCELED");
  res = client_->Post("/api/jobs/a1b2c3/cancel", "", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 409);  // no longer running
  EXPECT_EQ(client_->Post("/api/jobs/nope/cancel", "", "application/json")->status, 404);
}

TEST_F(DashboardTest, MutatingCallsNeedTheToken) {
  start("s3cret", &jobs_);
  for (auto [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/api/topics"},
           {"DELETE", "/api/topics/t"},
           {"POST", "/api/upload"},
           {"POST", "/api/jobs/a1b2c3/cancel"},
           {"POST", "/api/jobs/a1b2c3/savepoints"},
           {"POST", "/api/jobs/a1b2c3/stop"}}) {
    auto res = method == "POST" ? client_->Post(path.c_str(), "{}", "application/json")
                                : client_->Delete(path.c_str());
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 401) << method << " " << path;
    EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer realm=\"sluice\"");
    res = method == "POST"
              ? client_->Post(path.c_str(), bearer("wrong"), "{}", "application/json")
              : client_->Delete(path.c_str(), bearer("wrong"));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401) << method << " " << path << " with a wrong token";
  }
  EXPECT_EQ(json::parse(client_->Get("/api/jobs/a1b2c3")->body)["status"], "RUNNING");
  // Reading needs no token; the right token changes things.
  EXPECT_EQ(client_->Get("/api/jobs")->status, 200);
  auto res = client_->Post("/api/jobs/a1b2c3/cancel", bearer("s3cret"), "", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  EXPECT_EQ(json::parse(client_->Get("/api/ui")->body)["token_required"], true);
}

TEST_F(DashboardTest, RefusesForeignHostsAndCrossSiteWrites) {
  start("", &jobs_);
  // DNS rebinding: a page of evil.example resolved to 127.0.0.1.
  auto res = client_->Get("/api/jobs", {{"Host", "evil.example:8081"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  res = client_->Post("/api/jobs/a1b2c3/cancel", {{"Origin", "http://evil.example"}}, "",
                      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_EQ(json::parse(client_->Get("/api/jobs/a1b2c3")->body)["status"], "RUNNING");
  const std::string same = "http://127.0.0.1:" + std::to_string(server_->port());
  res = client_->Post("/api/jobs/a1b2c3/cancel", {{"Origin", same}}, "", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
}

TEST_F(DashboardTest, UrlCarriesTheTokenInTheFragment) {
  start("abc");
  const std::string base = "http://127.0.0.1:" + std::to_string(server_->port()) + "/";
  EXPECT_EQ(server_->url(), base);
  EXPECT_EQ(server_->url(true), base + "#token=abc");
}

TEST(ParseUiAddress, HostPortPortAndOff) {
  std::string host;
  uint16_t port = 0;
  EXPECT_TRUE(parse_ui_address("127.0.0.1:8081", host, port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8081);
  EXPECT_TRUE(parse_ui_address("9000", host, port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 9000);
  EXPECT_TRUE(parse_ui_address(":0", host, port));
  EXPECT_EQ(port, 0);
  EXPECT_TRUE(parse_ui_address("[::1]:8081", host, port));
  EXPECT_EQ(host, "::1");
  EXPECT_FALSE(parse_ui_address("off", host, port));
  EXPECT_THROW(parse_ui_address("localhost:http", host, port), std::invalid_argument);
  EXPECT_THROW(parse_ui_address("1.2.3.4:70000", host, port), std::invalid_argument);
}

TEST(DashboardStart, ATakenPortIsAClearError) {
  DashboardOptions o;
  o.port = 0;
  DashboardServer first(o);
  first.start();
  o.port = first.port();
  DashboardServer second(o);
  try {
    second.start();
    FAIL() << "a second server bound the same port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--ui"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sluice::web
