// Console tools print data on stdout, so their messages (errors from main(), warnings,
// librdkafka's debug lines) must go to stderr, as "error: ..." without a timestamp.
// log_to_stderr() replaces spdlog's default logger accordingly; call it once, first thing
// in a console command's callback, from the main thread.
#pragma once

namespace sluice::kafka::client {

void log_to_stderr();

}  // namespace sluice::kafka::client
