#pragma once
// Bot: the demo's command bot, the one every WebSocket tutorial writes.

#include <ratchet/component.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

namespace demo {

/// Answers one text command per message (case-insensitive, surrounding blanks ignored):
/// hello, hi, name, age (the bot's uptime), date, time (UTC), id (the connection's id),
/// users (connections to the bot), temp (a simulated sensor), thanks, and bye, which
/// answers and then closes with 1000. Anything else gets "not understood" and the list.
///
/// Thread-safe (an atomic count and constant state), so it runs on each connection's own
/// I/O thread. Owned by the route it is mounted on.
class Bot : public ratchet::MessageComponentInterface {
 public:
  Bot() = default;

  void onOpen(ratchet::ConnectionPtr conn) override;
  void onMessage(ratchet::ConnectionPtr from, const ratchet::Message& message) override;
  void onClose(ratchet::ConnectionPtr conn) override;
  void onError(ratchet::ConnectionPtr conn, const ratchet::Error& error) override;
  bool isThreadSafe() const noexcept override { return true; }

  /// The reply to `command` from `conn` (the bye command's close is not part of it).
  std::string answer(std::string_view command, const ratchet::Connection& conn) const;

  /// The simulated sensor: a slow sine around 21 °C with a faster ripple, at `sinceStart`.
  static double temperature(std::chrono::steady_clock::duration sinceStart) noexcept;

  static constexpr std::string_view commands =
      "hello, hi, name, age, date, time, id, users, temp, thanks, bye";

 private:
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::atomic<std::size_t> users_{0};
};

}  // namespace demo
