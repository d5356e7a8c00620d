// A unit test of your own component, with no server and no socket: the Chat of
// examples/chat gets TestConnections, and the test reads what each was sent.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "../chat/chat.hpp"

#include <ratchet/test_connection.hpp>

#include <doctest/doctest.h>

using ratchet::TestConnection;

TEST_CASE("chat: a message reaches everyone but its sender") {
  Chat chat;
  auto alice = std::make_shared<TestConnection>(1), bob = std::make_shared<TestConnection>(2);
  chat.onOpen(alice);
  chat.onOpen(bob);
  chat.onMessage(alice, ratchet::Message::text("hi"));
  CHECK(bob->texts() == std::vector<std::string>{"hi"});
  CHECK(alice->sent().empty());
}

TEST_CASE("chat: a closed member hears nothing more") {
  Chat chat;
  auto alice = std::make_shared<TestConnection>(1), bob = std::make_shared<TestConnection>(2);
  chat.onOpen(alice);
  chat.onOpen(bob);
  chat.onClose(bob);
  chat.onMessage(alice, ratchet::Message::binary("\x01\x02"));
  CHECK(bob->sent().empty());
  chat.onError(alice, ratchet::Error(ratchet::errc::protocol_error));
  CHECK(alice->closeCode() == 1000);
}
