#include "bot.hpp"

#include "text.hpp"

#include <ratchet/log.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace demo {

using namespace std::chrono;

void Bot::onOpen(ratchet::ConnectionPtr) {
  ++users_;
}

void Bot::onClose(ratchet::ConnectionPtr) {
  --users_;
}

void Bot::onMessage(ratchet::ConnectionPtr from, const ratchet::Message& message) {
  if (message.isBinary()) return from->send("I only read text. Commands: " + std::string(commands));
  from->send(answer(message.data(), *from));
  if (toLower(trim(message.data())) == "bye") from->close(1000, "bye");
}

std::string Bot::answer(std::string_view command, const ratchet::Connection& conn) const {
  const std::string c = toLower(trim(command));
  if (c == "hello") return "Hello! I am the ratchet bot. Try \"time\" or \"temp\".";
  if (c == "hi") return "Hi there!";
  if (c == "name") return "My name is ratchet-bot.";
  if (c == "age") {
    const auto up = duration_cast<seconds>(steady_clock::now() - started_).count();
    return fmt::format("I have been running for {}h {}m {}s.", up / 3600, up / 60 % 60, up % 60);
  }
  if (c == "date") return "Today is " + utcNow("%A, %Y-%m-%d") + " (UTC).";
  if (c == "time") return "The time is " + utcNow("%H:%M:%S") + " UTC.";
  if (c == "id") return fmt::format("Your connection id is {}.", conn.id());
  if (c == "users") {
    const std::size_t n = users_.load();
    return fmt::format("{} {} connected to the bot.", n, n == 1 ? "user is" : "users are");
  }
  if (c == "temp")
    return fmt::format("The simulated sensor reads {:.1f} °C.",
                       temperature(steady_clock::now() - started_));
  if (c == "thanks") return "You're welcome!";
  if (c == "bye") return "Goodbye!";
  // Quote at most 40 bytes of what was sent, cut at a character boundary.
  const std::string_view asked = trim(command);
  std::size_t cut = std::min<std::size_t>(asked.size(), 40);
  while (cut < asked.size() && (static_cast<unsigned char>(asked[cut]) & 0xC0) == 0x80) --cut;
  return fmt::format("Sorry, \"{}\" is not understood. Commands: {}.", asked.substr(0, cut),
                     commands);
}

double Bot::temperature(steady_clock::duration sinceStart) noexcept {
  const double t = duration<double>(sinceStart).count();
  constexpr double tau = 2 * std::numbers::pi;
  return 21.0 + 2.5 * std::sin(tau * t / 600.0) + 0.3 * std::sin(tau * t / 37.0);
}

void Bot::onError(ratchet::ConnectionPtr conn, const ratchet::Error& error) {
  ratchet::log::warn("bot: conn {}: {}", conn->id(), error.what());
  conn->close();
}

}  // namespace demo
