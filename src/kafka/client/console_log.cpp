#include "kafka/client/console_log.h"

#include <spdlog/sinks/stdout_color_sinks.h>  // also declares the stderr sinks
#include <spdlog/spdlog.h>

namespace sluice::kafka::client {

void log_to_stderr() {
  auto logger = std::make_shared<spdlog::logger>(
      "console", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_pattern("%^%l%$: %v");
  logger->set_level(spdlog::get_level());
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace sluice::kafka::client
