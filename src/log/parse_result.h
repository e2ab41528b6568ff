// A parsed value or the reason it could not be parsed (std::expected is C++23). Used for
// configuration strings given by people: the error says what was wrong and what is valid.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace sluice::log {

template <class T>
class ParseResult {
 public:
  static ParseResult value(T v) {
    ParseResult r;
    r.value_ = std::move(v);
    return r;
  }
  static ParseResult failure(std::string error) {
    ParseResult r;
    r.error_ = std::move(error);
    return r;
  }

  explicit operator bool() const { return value_.has_value(); }
  const T& operator*() const {
    assert(value_);
    return *value_;
  }
  const T* operator->() const { return &**this; }
  /// Empty on success.
  const std::string& error() const { return error_; }

 private:
  std::optional<T> value_;
  std::string error_;
};

}  // namespace sluice::log
