// to_text(): the default one-line text of a record for the file and print sinks. Strings
// as they are, numbers in their shortest form, bools as true/false, anything else through its
// operator<<. A pure function; any thread.
#pragma once

#include <charconv>
#include <concepts>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>

namespace sluice {

template <class T>
concept Streamable = requires(std::ostream& os, const T& v) {
  os << v;
};

template <class T>
void append_text(std::string& out, const T& v) {
  if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    out.append(std::string_view(v));
  } else if constexpr (std::is_same_v<T, bool>) {
    out.append(v ? "true" : "false");
  } else if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, char>) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  } else if constexpr (Streamable<T>) {
    std::ostringstream os;
    os << v;
    out.append(os.str());
  } else {
    static_assert(Streamable<T>, "no text for this type: give the sink a to-string function");
  }
}

template <class T>
std::string to_text(const T& v) {
  std::string out;
  append_text(out, v);
  return out;
}

}  // namespace sluice
