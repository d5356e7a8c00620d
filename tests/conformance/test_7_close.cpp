// Autobahn section 7, the close handshake (RFC 6455 5.5.1, 7.1-7.4): a client's close is
// answered with a close, after which the server ends the TCP connection and ignores
// everything else; close payloads are checked (length, code, UTF-8 reason).

#include "conformance.hpp"

#include <string>
#include <vector>

namespace {

using namespace conf;

/// Sends `bytes` on a new connection and checks that exactly `expected` comes back, then
/// the end of TCP.
bool exchange(std::uint16_t port, const std::string& bytes, const std::vector<Event>& expected) {
  Peer peer(port);
  peer.write(bytes);  // may fail once the server has closed; what it sent back counts
  return expectExactly(peer, expected);
}

}  // namespace

TEST_CASE("conformance 7.1: after the close handshake nothing is answered and TCP ends") {
  EchoApp app;
  const auto bye = frame(op::close, closePayload(1000));
  SUBCASE("7.1.1: a message, then close") {
    CHECK(exchange(app.port(), frame(op::text, "Hello World!") + bye,
                   {text("Hello World!"), closeWith(1000)}));
  }
  SUBCASE("7.1.1: the close frame written byte by byte, after a message") {
    Peer peer(app.port());
    REQUIRE(peer.write(frame(op::text, "Hello World!")));
    expectNext(peer, text("Hello World!"));
    REQUIRE(peer.writeChunked(frame(op::close, closePayload(1000, "bye bye")), 1));
    expectExactly(peer, {closeWith(1000)});
  }
  SUBCASE("7.1.2: a second close is not answered") {
    CHECK(exchange(app.port(), bye + bye, {closeWith(1000)}));
  }
  SUBCASE("7.1.3: a ping after close is not answered") {
    CHECK(exchange(app.port(), bye + frame(op::ping, "Hello World!"), {closeWith(1000)}));
  }
  SUBCASE("7.1.4: a message after close is not echoed") {
    CHECK(exchange(app.port(), bye + frame(op::text, "Hello World!"), {closeWith(1000)}));
  }
  SUBCASE("7.1.4: a message after close in a later write is not echoed") {
    Peer peer(app.port());
    REQUIRE(peer.write(bye));
    REQUIRE(expectNext(peer, closeWith(1000)));
    peer.write(frame(op::text, "too late") + frame(op::ping, "too late"));
    expectExactly(peer, {});
  }
  SUBCASE("7.1.5: a close between fragments: the message is dropped") {
    CHECK(exchange(app.port(),
                   frame(op::text, "fragment1", false) + bye + frame(op::continuation, "fragment2"),
                   {closeWith(1000)}));
  }
  SUBCASE("7.1.6: large messages, then close: all echoed, then the close") {
    std::string bytes;
    std::vector<Event> expected;
    for (int i = 0; i < 4; ++i) {
      auto payload = utf8Text(256 * 1024);
      payload[0] = static_cast<char>('0' + i);
      bytes += frame(op::text, payload);
      expected.push_back(text(payload));
    }
    expected.push_back(closeWith(1000));
    CHECK(exchange(app.port(), bytes + bye + frame(op::ping, "after"), expected));
  }
  checkStillEchoes(app.port());
}

TEST_CASE("conformance 7.3: close payloads of 0, 1, 2, 2+123 and 2+124 bytes") {
  EchoApp app;
  // 7.3.1: no payload: answered with no status or 1000.
  CHECK(exchange(app.port(), frame(op::close, ""), {closeEmptyOr1000()}));
  // 7.3.2: one byte cannot hold a code.
  CHECK(exchange(app.port(), frame(op::close, "\x03"), {closeWith(1002)}));
  CHECK(exchange(app.port(), frame(op::close, std::string(1, '\0')), {closeWith(1002)}));
  // 7.3.3: a code without a reason.
  CHECK(exchange(app.port(), frame(op::close, closePayload(1000)), {closeWith(1000)}));
  // 7.3.4: a code and a reason.
  CHECK(exchange(app.port(), frame(op::close, closePayload(1000, "Hello World!")),
                 {closeWith(1000)}));
  // 7.3.5: the longest reason, 123 bytes (ASCII, then multi-byte UTF-8).
  CHECK(exchange(app.port(), frame(op::close, closePayload(1000, std::string(123, '*'))),
                 {closeWith(1000)}));
  const auto utf8Reason = utf8Text(123);
  REQUIRE(utf8Reason.size() == 123);
  CHECK(exchange(app.port(), frame(op::close, closePayload(4000, utf8Reason)), {closeWith(4000)}));
  // 7.3.6: 124 bytes of reason make a 126-byte control frame.
  CHECK(exchange(app.port(), frame(op::close, closePayload(1000, std::string(124, '*'))),
                 {closeWith(1002)}));
  checkStillEchoes(app.port());
}

TEST_CASE("conformance 7.5: a close reason that is not UTF-8 fails with 1007") {
  EchoApp app;
  const std::string bad[] = {
      "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80\x65\x64\x69\x74\x65\x64",
      "\xFF",
      "bye \xC0\xAF",
      "truncated \xE2\x82",
  };
  for (const auto& reason : bad) {
    CAPTURE(printable(reason));
    CHECK(exchange(app.port(), frame(op::close, closePayload(1000, reason)), {closeWith(1007)}));
  }
  checkStillEchoes(app.port());
}

TEST_CASE("conformance 7.7: every valid close code is echoed") {
  EchoApp app;
  const std::uint16_t codes[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009,
                                 1010, 1011, 3000, 3999, 4000, 4999};
  FailureBudget budget;
  for (const auto code : codes) {
    CAPTURE(code);
    // With and without a reason.
    if (!budget.record(
            exchange(app.port(), frame(op::close, closePayload(code)), {closeWith(code)})))
      break;
    if (!budget.record(exchange(app.port(), frame(op::close, closePayload(code, "reason")),
                                {closeWith(code)})))
      break;
  }
  checkStillEchoes(app.port());
}

TEST_CASE("conformance 7.9: an invalid close code fails with 1002") {
  EchoApp app;
  const std::uint16_t codes[] = {0,    999,  1004, 1005, 1006, 1012, 1013, 1014,
                                 1015, 1016, 1100, 2000, 2999, 5000, 65535};
  FailureBudget budget;
  for (const auto code : codes) {
    CAPTURE(code);
    if (!budget.record(exchange(app.port(),
                                frame(op::close, closePayload(code)) + frame(op::text, "after"),
                                {closeWith(1002)})))
      break;
  }
  checkStillEchoes(app.port());
}

TEST_CASE("conformance 7: the server closes TCP after the close handshake, unprompted") {
  // The client sends its close and then only waits: the server must end TCP itself
  // (RFC 6455 7.1.1: the server closes first), within the bounded wait.
  EchoApp app;
  for (const std::string& payload : {std::string(), closePayload(1000), closePayload(4999, "x")}) {
    CAPTURE(printable(payload));
    Peer peer(app.port());
    REQUIRE(peer.write(frame(op::close, payload)));
    auto reply = peer.readFrame();
    REQUIRE(reply.has_value());
    CHECK(reply->opcode == op::close);
    CHECK_FALSE(peer.readFrame().has_value());
    INFO(peer.status());
    CHECK(peer.closedByServer());
    CHECK_FALSE(peer.timedOut());
  }
}
