// Autobahn section 2, pings and pongs (RFC 6455 5.5.2, 5.5.3): a ping is answered by a pong
// with the same payload, however the ping arrives; control payloads over 125 bytes fail the
// connection with 1002; unsolicited pongs are ignored.

#include "conformance.hpp"

#include <string>
#include <vector>

namespace {

using namespace conf;

/// Bytes `from` .. `to` - 1.
std::string byteRange(unsigned from, unsigned to) {
  std::string s;
  for (unsigned b = from; b < to; ++b) s.push_back(static_cast<char>(b));
  return s;
}

}  // namespace

TEST_CASE("conformance 2.1-2.4: pings of 0, 1 and 125 bytes of every value get equal pongs") {
  EchoApp app;
  Peer peer(app.port());
  const std::vector<std::string> payloads = {
      "",
      std::string(1, '\0'),
      "H",
      "Hello, world!",
      byteRange(0x00, 0x7D),                           // 125 bytes 00..7C
      byteRange(0x7D, 0xFA),                           // 125 bytes 7D..F9
      byteRange(0xFA, 0x100) + byteRange(0x00, 0x77),  // FA..FF, then 00..76: 125 bytes
      std::string(125, '\xFF'),
  };
  for (const auto& payload : payloads) {
    CAPTURE(printable(payload));
    CAPTURE(payload.size());
    REQUIRE(peer.write(frame(op::ping, payload)));
    REQUIRE(expectNext(peer, pong(payload)));
  }
  // The connection is unharmed: a message and the close handshake follow.
  REQUIRE(peer.write(frame(op::text, "after the pings")));
  expectNext(peer, text("after the pings"));
  closeCleanly(peer);
}

TEST_CASE("conformance 2.5: a control frame over 125 bytes fails the connection with 1002") {
  EchoApp app;
  struct Case {
    std::string what;
    std::string bytes;
  };
  const Case cases[] = {
      {"ping of 126 bytes", frame(op::ping, std::string(126, 'p'))},
      {"ping of 127 bytes", frame(op::ping, std::string(127, 'p'))},
      {"ping of 1000 bytes", frame(op::ping, std::string(1000, 'p'))},
      {"ping of 65536 bytes (64-bit length)", frame(op::ping, std::string(65536, 'p'))},
      {"pong of 126 bytes", frame(op::pong, std::string(126, 'p'))},
      {"close of 126 bytes", frame(op::close, closePayload(1000, std::string(124, 'r')))},
  };
  FailureBudget budget;
  for (const auto& c : cases) {
    INFO("case: " << c.what);
    // Nothing answers the oversized ping, and nothing after it is processed.
    Peer peer(app.port());
    REQUIRE(peer.write(c.bytes + frame(op::ping, "after") + frame(op::text, "after")));
    if (!budget.record(expectExactly(peer, {closeWith(1002)}))) break;
  }
  {
    // After a valid ping, which is answered.
    Peer peer(app.port());
    REQUIRE(peer.write(frame(op::ping, "valid") + frame(op::ping, std::string(126, 'p')) +
                       frame(op::text, "after")));
    expectExactly(peer, {pong("valid"), closeWith(1002)});
  }
  {
    // Fails at the header: the 126-byte payload is never sent, yet the close comes.
    Peer peer(app.port());
    const auto f = frame(op::ping, std::string(126, 'p'));
    REQUIRE(peer.write(std::string_view(f).substr(0, 2 + 2 + 4)));
    expectExactly(peer, {closeWith(1002)}, kFailFastWait);
  }
  checkStillEchoes(app.port());
}

TEST_CASE("conformance 2.6: a 125-byte ping arriving in pieces gets its pong") {
  EchoApp app;
  Peer peer(app.port());
  const auto payload = byteRange(0x10, 0x10 + 125);
  SUBCASE("byte by byte") {
    REQUIRE(peer.writeChunked(frame(op::ping, payload), 1));
    expectNext(peer, pong(payload));
  }
  SUBCASE("header, mask and payload in separate writes") {
    const auto f = frame(op::ping, payload);
    REQUIRE(peer.writeEach({f.substr(0, 1), f.substr(1, 1), f.substr(2, 2), f.substr(4, 2),
                            f.substr(6, 60), f.substr(66)}));
    expectNext(peer, pong(payload));
  }
  SUBCASE("in two writes, split at every position") {
    for (std::size_t cut = 1; cut < 2 + 4 + payload.size(); ++cut) {
      CAPTURE(cut);
      const auto f = frame(op::ping, payload);
      REQUIRE(peer.writeEach({f.substr(0, cut), f.substr(cut)}));
      REQUIRE(expectNext(peer, pong(payload)));
    }
  }
  SUBCASE("in chunks of 7 bytes, ten pings") {
    std::string pings;
    for (int i = 0; i < 10; ++i) pings += frame(op::ping, payload);
    REQUIRE(peer.writeChunked(pings, 7));
    for (int i = 0; i < 10; ++i) {
      CAPTURE(i);
      REQUIRE(expectNext(peer, pong(payload)));
    }
  }
  closeCleanly(peer);
}

TEST_CASE("conformance 2.7-2.9: unsolicited pongs are ignored") {
  EchoApp app;
  Peer peer(app.port());
  // Pongs without a ping, empty, with text and with 125 binary bytes: no answer at all.
  // Then a ping, whose pong must be the next frame, and a message, echoed.
  REQUIRE(peer.write(frame(op::pong, "") + frame(op::pong, "unsolicited") +
                     frame(op::pong, byteRange(0x80, 0xFD))));
  REQUIRE(peer.write(frame(op::ping, "solicited")));
  expectNext(peer, pong("solicited"));
  REQUIRE(peer.write(frame(op::pong, "again") + frame(op::text, "still echoing")));
  expectNext(peer, text("still echoing"));
  closeCleanly(peer);
}

TEST_CASE("conformance 2.10-2.11: ten pings in a row get ten pongs, in order") {
  EchoApp app;
  std::vector<Event> pongs;
  std::vector<std::string> pings;
  for (int i = 0; i < 10; ++i) {
    const auto payload = "payload-" + std::to_string(i);
    pongs.push_back(pong(payload));
    pings.push_back(frame(op::ping, payload));
  }
  auto expected = pongs;
  expected.push_back(closeWith(1000));
  const auto bye = frame(op::close, closePayload(1000));
  SUBCASE("in one write") {
    Peer peer(app.port());
    std::string all;
    for (const auto& p : pings) all += p;
    REQUIRE(peer.write(all + bye));
    expectExactly(peer, expected);
  }
  SUBCASE("each in its own write") {
    Peer peer(app.port());
    REQUIRE(peer.writeEach(pings));
    REQUIRE(peer.write(bye));
    expectExactly(peer, expected);
  }
  SUBCASE("each answered before the next is sent") {
    Peer peer(app.port());
    for (std::size_t i = 0; i < pings.size(); ++i) {
      CAPTURE(i);
      REQUIRE(peer.write(pings[i]));
      REQUIRE(expectNext(peer, pongs[i]));
    }
    closeCleanly(peer);
  }
}
