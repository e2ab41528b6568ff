// A dashboard whose jobs come from the test-only FakeJobsProvider (tests/web), against a
// real Kafka: the browser tests use it to drive the Jobs page (operator graph, savepoint,
// stop) until the stream engine provides the real JobsProvider.
// Usage: fake_jobs_dashboard BOOTSTRAP PORT. Prints "ready PORT", serves until stdin closes.
#include <cstdio>
#include <iostream>
#include <string>

#include "fake_jobs_provider.h"
#include "web/dashboard_server.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s BOOTSTRAP PORT\n", argv[0]);
    return 2;
  }
  sluice::web::testing::FakeJobsProvider jobs;
  sluice::web::DashboardOptions options;
  options.kafka.bootstrap_servers = argv[1];
  options.port = uint16_t(std::stoi(argv[2]));
  sluice::web::DashboardServer server(options, &jobs);
  server.start();
  std::printf("ready %u\n", unsigned(server.port()));
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  server.stop();
  return 0;
}
