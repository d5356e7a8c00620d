#pragma once
// Small ASCII text helpers shared by the HTTP and WebSocket layers (framework-internal).

#include <optional>
#include <string>
#include <string_view>

namespace ratchet::detail {

inline char asciiLower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (asciiLower(a[i]) != asciiLower(b[i])) return false;
  return true;
}

inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Calls fn(item) for each trimmed, non-empty item of a `sep`-separated list.
template <class Fn>
void forEachListItem(std::string_view list, char sep, Fn&& fn) {
  while (!list.empty()) {
    const auto end = list.find(sep);
    const auto item = trim(list.substr(0, end));
    if (!item.empty()) fn(item);
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + 1);
  }
}

/// Decodes %XX escapes (and '+' as space when `plusIsSpace`); nullopt on a malformed escape.
std::optional<std::string> percentDecode(std::string_view s, bool plusIsSpace);

}  // namespace ratchet::detail
