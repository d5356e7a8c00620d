// ChatRoom through the whole stack: real clients on /chat of the demo's routes.
#include "demo/support.hpp"

#include "chat_room.hpp"

#include <map>
#include <regex>
#include <thread>

using demo_test::ChatClient;
using demo_test::DemoServer;
using demo_test::room;
using demo_test::str;
namespace json = boost::json;

TEST_CASE("chat: a newcomer gets a welcome and the list; the others hear of it") {
  test::Watchdog watchdog("chat join");
  DemoServer server;
  ChatClient alice(server.port()), bob(server.port());

  alice.send({{"type", "join"}, {"name", "alice"}, {"color", "not a colour"}});
  const auto welcome = alice.expect("joined");
  CHECK(str(welcome, "name") == "alice");
  CHECK(str(welcome, "color") == demo::ChatRoom::colorFor("alice"));
  CHECK(alice.expect("users").at("users") == json::array{"alice"});

  CHECK(str(bob.join("  bob\t", "#ABC"), "name") == "bob");  // trimmed; colour kept
  CHECK(str(alice.expect("system"), "message") == "bob joined");
  CHECK(alice.expect("users").at("users") == json::array{"alice", "bob"});
  CHECK(bob.users() == std::vector<std::string>{"alice", "bob"});

  bob.say("hello");
  for (ChatClient* c : {&alice, &bob}) {
    const auto m = c->expect("usermsg");
    CHECK(str(m, "name") == "bob");
    CHECK(str(m, "message") == "hello");
    CHECK(str(m, "color") == "#ABC");
    CHECK(std::regex_match(std::string(str(m, "time")),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
    CHECK_FALSE(m.contains("private"));
  }
}

TEST_CASE("chat: text the page must escape arrives exactly as sent") {
  test::Watchdog watchdog("chat text");
  DemoServer server;
  auto clients = room(server.port(), {"alice", "bob"});
  const std::string nasty = "<img src=x onerror=alert(1)> \"quoted\" \\ \n\t é 😀";
  clients[0]->say(nasty);
  for (auto& c : clients) CHECK(str(c->expect("usermsg"), "message") == nasty);
}

TEST_CASE("chat: every member gets every public message once, in each sender's order") {
  test::Watchdog watchdog("chat ordering");
  constexpr int kMembers = 6, kMessages = 150;
  DemoServer server;
  std::vector<std::string> names;
  for (int i = 0; i < kMembers; ++i) names.push_back("user" + std::to_string(i));
  auto clients = room(server.port(), names);

  // Everyone sends at once from its own thread, then reads everything everyone said.
  std::vector<std::map<std::string, std::vector<int>>> seen(kMembers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kMembers; ++i)
    threads.emplace_back([&, i] {
      for (int k = 0; k < kMessages; ++k) clients[i]->say(std::to_string(k));
      for (int n = 0; n < kMembers * kMessages; ++n) {
        const auto m = clients[i]->next();
        if (str(m, "type") != "usermsg") break;  // checked below: the counts come out short
        seen[i][std::string(str(m, "name"))].push_back(std::stoi(std::string(str(m, "message"))));
      }
    });
  for (auto& t : threads) t.join();

  std::vector<int> inOrder(kMessages);
  for (int k = 0; k < kMessages; ++k) inOrder[k] = k;
  for (int i = 0; i < kMembers; ++i) {
    CAPTURE(i);
    REQUIRE(seen[i].size() == kMembers);
    for (const auto& [sender, numbers] : seen[i]) {
      CAPTURE(sender);
      CHECK(numbers == inOrder);
    }
    // Nothing more is queued: the reply to a request made now is the next message.
    CHECK(clients[i]->users().size() == kMembers);
  }
}

TEST_CASE("chat: a private message reaches its target and its sender, never a third member") {
  test::Watchdog watchdog("chat private");
  DemoServer server;
  auto clients = room(server.port(), {"alice", "bob", "carol"});
  ChatClient &alice = *clients[0], &bob = *clients[1];

  alice.say("for bob only", "  BOB ");  // found whatever the case and blanks
  for (ChatClient* c : {&bob, &alice}) {
    const auto m = c->expect("usermsg");
    CHECK(str(m, "message") == "for bob only");
    CHECK(str(m, "name") == "alice");
    CHECK(str(m, "toname") == "bob");
    CHECK(m.at("private") == true);
  }
  bob.say("note to self", "bob");
  CHECK(str(bob.expect("usermsg"), "message") == "note to self");  // once, not twice

  // alice's next public message is the first thing carol (clients[2]) and bob get: nothing private
  // reached carol, and bob's own note was not delivered twice.
  alice.say("public again");
  for (auto& c : clients) CHECK(str(c->expect("usermsg"), "message") == "public again");
}

TEST_CASE("chat: bad requests get an error for the sender alone; the connection stays usable") {
  test::Watchdog watchdog("chat errors");
  DemoServer server;
  auto clients = room(server.port(), {"alice", "bob"});
  ChatClient &alice = *clients[0], &bob = *clients[1];

  alice.sendRaw("not json");
  alice.expectError("invalid JSON");
  alice.sendRaw("[1,2]");
  alice.expectError("expected a JSON object");
  alice.sendRaw(R"({"type":5})");
  alice.expectError("\"type\" must be a string");
  alice.send({{"type", "dance"}});
  alice.expectError("unknown type \"dance\"");
  alice.send({{"message", 5}});
  alice.expectError("must be strings");
  alice.say("");
  alice.expectError("empty");
  alice.say(" \t ");
  alice.expectError("empty");
  alice.say(std::string(1001, 'x'));
  alice.expectError("at most 1000 characters");
  alice.sendRaw(std::string(100'000, ' '));
  alice.expectError("too long");
  alice.say("hi", "nobody");
  alice.expectError("nobody named \"nobody\"");
  alice.send({{"name", "mallory"}, {"message", "hi"}});
  alice.expectError("cannot change");
  alice.send({{"type", "join"}, {"name", "mallory"}});
  alice.expectError("cannot change");
  alice.sendBinary("\x01\x02");
  alice.expectError("JSON in text");

  alice.send({{"type", "join"}, {"name", "ALICE"}});  // her own name again: harmless
  CHECK(str(alice.expect("joined"), "name") == "alice");
  std::string longest;
  for (int i = 0; i < 1000; ++i) longest += "é";  // 1000 characters, 2000 bytes
  alice.say(longest);
  for (auto& c : clients) CHECK(str(c->expect("usermsg"), "message") == longest);
  CHECK(bob.users() == std::vector<std::string>{"alice", "bob"});
}

TEST_CASE("chat: names are trimmed, 1 to 32 printable characters, unique regardless of case") {
  test::Watchdog watchdog("chat names");
  DemoServer server;
  auto clients = room(server.port(), {"alice"});
  ChatClient c(server.port());

  c.say("hello");
  c.expectError("join first");
  for (const char* bad : {"", "   "}) {
    c.send({{"type", "join"}, {"name", bad}});
    c.expectError("a name is needed");
  }
  c.send({{"type", "join"}, {"name", std::string(33, 'n')}});
  c.expectError("at most 32 characters");
  for (const char* bad : {"a\x01z", "tab\tinside", "c1\xC2\x85x", "del\x7F"}) {
    c.send({{"type", "join"}, {"name", bad}});
    c.expectError("control characters");
  }
  c.send({{"type", "join"}, {"name", " ALICE "}});
  c.expectError("the name \"ALICE\" is taken");
  c.send({{"type", "join"}, {"name", 7}});
  c.expectError("must be strings");

  std::string widest;
  for (int i = 0; i < 32; ++i) widest += "ü";  // 32 characters in 64 bytes
  CHECK(str(c.join(widest), "name") == widest);
  CHECK(str(clients[0]->expect("system"), "message") == widest + " joined");

  // A message with a name joins implicitly.
  ChatClient dave(server.port());
  dave.send({{"name", " dave "}, {"message", "first words"}});
  CHECK(str(dave.expect("joined"), "name") == "dave");
  CHECK(dave.expect("users").at("users").as_array().size() == 3);
  CHECK(str(dave.expect("usermsg"), "message") == "first words");
}

TEST_CASE("chat: leaving tells the others, updates the list and frees the name") {
  test::Watchdog watchdog("chat leave");
  DemoServer server;
  auto clients = room(server.port(), {"alice", "bob", "carol"});
  ChatClient& alice = *clients[0];

  clients[1]->ws().close();  // bob says goodbye properly
  CHECK(str(alice.expect("system"), "message") == "bob left");
  CHECK(alice.expect("users").at("users") == json::array{"alice", "carol"});
  clients[2]->ws().drop();  // carol's connection just breaks
  CHECK(str(alice.expect("system"), "message") == "carol left");
  CHECK(alice.expect("users").at("users") == json::array{"alice"});

  ChatClient again(server.port());
  CHECK(str(again.join("Bob"), "name") == "Bob");
  CHECK(str(alice.expect("system"), "message") == "Bob joined");
}

TEST_CASE("chat: a client that never joins hears nothing and leaves no trace") {
  test::Watchdog watchdog("chat lurker");
  DemoServer server;
  auto clients = room(server.port(), {"alice"});
  {
    ChatClient lurker(server.port());
    clients[0]->say("anyone?");
    CHECK(str(clients[0]->expect("usermsg"), "message") == "anyone?");
    CHECK(lurker.users() == std::vector<std::string>{"alice"});  // first thing it receives
  }
  CHECK(clients[0]->users() == std::vector<std::string>{"alice"});  // no "left" before it
}
