#pragma once
// The framework's one logger: fmt formatting, a level, one line per event on stderr.

#include <fmt/format.h>

#include <string_view>

namespace ratchet::log {

enum class Level { trace, debug, info, warn, error, off };

void setLevel(Level level) noexcept;
Level level() noexcept;
/// Parses "trace", "debug", "info", "warn", "error" or "off"; throws std::invalid_argument.
Level parseLevel(std::string_view name);
inline bool enabled(Level l) noexcept {
  return l >= level();
}

void write(Level level, std::string_view line);

template <class... Args>
void at(Level l, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(l)) write(l, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void trace(fmt::format_string<Args...> f, Args&&... a) {
  at(Level::trace, f, std::forward<Args>(a)...);
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... a) {
  at(Level::debug, f, std::forward<Args>(a)...);
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... a) {
  at(Level::info, f, std::forward<Args>(a)...);
}
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... a) {
  at(Level::warn, f, std::forward<Args>(a)...);
}
template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... a) {
  at(Level::error, f, std::forward<Args>(a)...);
}

}  // namespace ratchet::log
