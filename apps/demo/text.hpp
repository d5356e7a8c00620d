#pragma once
// Small text helpers shared by the demo's components.

#include <chrono>
#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>

namespace demo {

inline bool isSpace(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

/// ASCII letters in lower case; other bytes (UTF-8 included) unchanged.
inline std::string toLower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// Code points in valid UTF-8 (WebSocket text frames are validated before they get here).
inline std::size_t utf8Length(std::string_view s) noexcept {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

/// C0 controls, DEL, and C1 controls (U+0080..U+009F, encoded as C2 80..C2 9F).
inline bool hasControlCharacter(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F) return true;
  }
  return false;
}

/// The current UTC time with a strftime format, e.g. "%Y-%m-%dT%H:%M:%SZ".
inline std::string utcNow(const char* format) {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[64];
  return std::string(buffer, std::strftime(buffer, sizeof buffer, format, &tm));
}

}  // namespace demo
