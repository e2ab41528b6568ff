#include "jobs/duration_option.h"

#include <stdexcept>

#include "sluice/time_text.h"

namespace sluice::jobs {

CLI::Option* add_duration_option(CLI::App& app, const std::string& name, Duration& target,
                                 const std::string& description) {
  auto* option = app.add_option_function<std::string>(
      name,
      [&target, name](const std::string& text) {
        try {
          target = parse_duration(text);
        } catch (const std::invalid_argument& e) {
          throw CLI::ValidationError(name, e.what());
        }
      },
      description);
  option->type_name("DURATION")->default_str(format_duration(target));
  return option;
}

}  // namespace sluice::jobs
