// Kafka's rules for topic names, which are also our directory names: 1 to 249 characters
// of [a-zA-Z0-9._-], not "." or "..". Two names that differ only by '.' versus '_' collide
// (Kafka's metric names cannot tell them apart), so only one of them may exist. Pure.
#pragma once

#include <string_view>

#include "log/status.h"

namespace sluice::log {

inline constexpr size_t kMaxTopicNameLength = 249;

/// Success, or kInvalidTopic with the reason.
Status validate_topic_name(std::string_view name);

/// True when `a` and `b` are different names that are equal once '.' is read as '_'.
bool topic_names_collide(std::string_view a, std::string_view b);

}  // namespace sluice::log
