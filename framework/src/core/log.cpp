#include "ratchet/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

namespace ratchet::log {
namespace {

constexpr std::string_view kNames[] = {"trace", "debug", "info", "warn", "error", "off"};

Level initialLevel() noexcept {
  // RATCHET_LOG_LEVEL lets any program built on ratchet be made verbose without a rebuild.
  if (const char* env = std::getenv("RATCHET_LOG_LEVEL")) {
    for (std::size_t i = 0; i < std::size(kNames); ++i)
      if (kNames[i] == env) return static_cast<Level>(i);
  }
  return Level::info;
}

std::atomic<Level>& current() noexcept {
  static std::atomic<Level> level{initialLevel()};
  return level;
}

}  // namespace

void setLevel(Level level) noexcept {
  current().store(level, std::memory_order_relaxed);
}
Level level() noexcept {
  return current().load(std::memory_order_relaxed);
}

Level parseLevel(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kNames); ++i)
    if (kNames[i] == name) return static_cast<Level>(i);
  throw std::invalid_argument(
      fmt::format("unknown log level '{}' (trace, debug, info, warn, error, off)", name));
}

void write(Level level, std::string_view line) {
  using namespace std::chrono;
  static std::mutex mutex;
  const auto now = system_clock::now();
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  const auto text = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {:<5} {}\n",
                                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                                tm.tm_sec, ms % 1000, kNames[static_cast<int>(level)], line);
  std::lock_guard lock(mutex);
  std::fwrite(text.data(), 1, text.size(), stderr);
}

}  // namespace ratchet::log
