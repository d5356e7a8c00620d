// Bot through the whole stack: real clients on /bot of the demo's routes.
#include "demo/support.hpp"

#include "bot.hpp"

#include <cmath>
#include <regex>

using demo_test::DemoServer;

namespace {

bool matches(const std::string& text, const char* pattern) {
  return std::regex_search(text, std::regex(pattern));
}

std::string ask(test::WsClient& bot, std::string_view command) {
  bot.send(command);
  return bot.read();
}

}  // namespace

TEST_CASE("bot: answers every command, whatever the case and blanks") {
  test::Watchdog watchdog("bot commands");
  DemoServer server;
  test::WsClient bot(server.port(), "/bot");

  CHECK(matches(ask(bot, "hello"), "^Hello!"));
  CHECK(matches(ask(bot, "  HeLLo \n"), "^Hello!"));
  CHECK(ask(bot, "hi") == "Hi there!");
  CHECK(matches(ask(bot, "name"), "ratchet-bot"));
  CHECK(matches(ask(bot, "age"), R"(^I have been running for \d+h \d+m \d+s\.$)"));
  CHECK(matches(ask(bot, "date"), R"(\d{4}-\d\d-\d\d \(UTC\)\.$)"));
  CHECK(matches(ask(bot, "time"), R"(^The time is \d\d:\d\d:\d\d UTC\.$)"));
  CHECK(matches(ask(bot, "id"), R"(^Your connection id is \d+\.$)"));
  CHECK(ask(bot, "users") == "1 user is connected to the bot.");
  {
    test::WsClient other(server.port(), "/bot");
    CHECK(ask(other, "users") == "2 users are connected to the bot.");
  }
  const std::string temp = ask(bot, "temp");
  std::smatch reading;
  REQUIRE(std::regex_search(temp, reading, std::regex(R"(reads (\d+\.\d) °C\.$)")));
  CHECK(std::abs(std::stod(reading[1]) - 21.0) <= 3.0);
  CHECK(ask(bot, "thanks") == "You're welcome!");
}

TEST_CASE("bot: anything else is not understood, and the list of commands follows") {
  test::Watchdog watchdog("bot unknown");
  DemoServer server;
  test::WsClient bot(server.port(), "/bot");

  const std::string reply = ask(bot, "dance");
  CHECK(matches(reply, "\"dance\" is not understood"));
  CHECK(reply.find(demo::Bot::commands) != std::string::npos);
  // A long multibyte command is quoted cut at a character boundary: the reply is valid UTF-8
  // (the client would fail the connection otherwise).
  std::string long_;
  for (int i = 0; i < 30; ++i) long_ += "€";
  CHECK(matches(ask(bot, long_), "not understood"));
  bot.sendBinary("\xFF");
  CHECK(matches(bot.read(), "^I only read text"));
  CHECK(matches(ask(bot, "hello"), "^Hello!"));  // still talking
}

TEST_CASE("bot: bye answers, then closes with 1000") {
  test::Watchdog watchdog("bot bye");
  DemoServer server;
  test::WsClient bot(server.port(), "/bot");
  CHECK(ask(bot, "BYE") == "Goodbye!");
  CHECK(bot.readClose() == ratchet::close_code::normal);
}

TEST_CASE("bot: the simulated sensor moves smoothly around 21 °C") {
  using std::chrono::seconds;
  double low = 100, high = -100;
  for (int t = 0; t < 1200; ++t) {
    const double now = demo::Bot::temperature(seconds(t));
    const double next = demo::Bot::temperature(seconds(t + 1));
    CHECK(std::abs(next - now) < 0.1);
    low = std::min(low, now), high = std::max(high, now);
  }
  CHECK(low > 17.5);
  CHECK(high < 24.5);
  CHECK(high - low > 3.0);  // it does move
}
