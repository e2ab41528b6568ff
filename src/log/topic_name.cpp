#include "log/topic_name.h"

#include <string>

namespace sluice::log {

Status validate_topic_name(std::string_view name) {
  auto fail = [&](const std::string& why) {
    return Status::error(Errc::kInvalidTopic,
                         "invalid topic name '" + std::string(name) + "': " + why);
  };
  if (name.empty()) return fail("it is empty");
  if (name == "." || name == "..") return fail("'.' and '..' are not allowed");
  if (name.size() > kMaxTopicNameLength)
    return fail("it has " + std::to_string(name.size()) + " characters; at most " +
                std::to_string(kMaxTopicNameLength) + " are allowed");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return fail("only ASCII letters, digits, '.', '_' and '-' are allowed");
  }
  return Status::success();
}

bool topic_names_collide(std::string_view a, std::string_view b) {
  if (a == b || a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] == '.' ? '_' : a[i];
    char y = b[i] == '.' ? '_' : b[i];
    if (x != y) return false;
  }
  return true;
}

}  // namespace sluice::log
