#include "kafka/client/stop_signal.h"

#include <signal.h>

#include <atomic>

namespace sluice::kafka::client {

namespace {
std::atomic<int> g_signal{0};
void on_signal(int sig) { g_signal.store(sig, std::memory_order_relaxed); }
}  // namespace

void StopSignal::install() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking reads return EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed stdout is seen as a write error instead
}

bool StopSignal::requested() { return g_signal.load(std::memory_order_relaxed) != 0; }

int StopSignal::signal_number() { return g_signal.load(std::memory_order_relaxed); }

}  // namespace sluice::kafka::client
