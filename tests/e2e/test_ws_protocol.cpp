// End-to-end tests of RFC 6455 as a client observes it: control frames, the close handshake,
// protocol errors and their close codes, UTF-8 validation, size limits and keep-alive.
// Malformed input goes out through test::RawClient; the server's frames are read byte-wise.

#include "support.hpp"

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;

/// An App whose routes are added by `setup` before test::Running starts run() (App wants its
/// routes added before the server runs).
class TestApp : public ratchet::App {
 public:
  explicit TestApp(const std::function<void(ratchet::App&)>& setup,
                   ratchet::AppOptions options = test::testOptions())
      : App("localhost", 0, "127.0.0.1", options) {
    setup(*this);
  }
};

/// Echoes every message, except "quit", which makes the server close with 4001 "done".
class QuitOnCommand final : public ratchet::MessageComponentInterface {
 public:
  void onOpen(ratchet::ConnectionPtr) override {}
  void onMessage(ratchet::ConnectionPtr from, const ratchet::Message& m) override {
    if (m == "quit")
      from->close(4001, "done");
    else
      from->send(m);
  }
  void onClose(ratchet::ConnectionPtr) override {}
  void onError(ratchet::ConnectionPtr, const ratchet::Error&) override {}
  bool isThreadSafe() const noexcept override { return true; }
};

void echoRoute(ratchet::App& app) {
  app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
}

namespace op {
constexpr std::uint8_t continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9,
                       pong = 0xA;
}

/// A server frame as read off the wire.
struct Frame {
  bool fin = false;
  std::uint8_t rsv = 0;
  std::uint8_t opcode = 0xFF;
  bool masked = false;
  std::string payload;

  /// The status code of a close frame; 1005 when it carries none.
  std::uint16_t closeCode() const {
    if (payload.size() < 2) return ratchet::close_code::no_status;
    return static_cast<std::uint16_t>(static_cast<unsigned char>(payload[0]) << 8 |
                                      static_cast<unsigned char>(payload[1]));
  }
  std::string closeReason() const { return payload.size() > 2 ? payload.substr(2) : ""; }
};

std::string describe(const Frame& f) {
  std::string s = "opcode " + std::to_string(f.opcode) + (f.fin ? " fin" : " no-fin") + " rsv " +
                  std::to_string(f.rsv) + " len " + std::to_string(f.payload.size());
  if (f.opcode == op::close)
    s += " code " + std::to_string(f.closeCode()) + " '" + f.closeReason() + "'";
  return s;
}

std::string describeAll(const std::vector<Frame>& frames) {
  std::string s;
  for (const auto& f : frames) s += "[" + describe(f) + "] ";
  return s;
}

/// A RawClient after a successful upgrade, with a receive buffer for frame parsing. Every
/// read is bounded by the socket timeout of test::RawClient.
class WsPeer : public test::BufferedPeer {
 public:
  explicit WsPeer(std::uint16_t port, std::string_view target = "/echo") : BufferedPeer(port) {
    raw_.socket().set_option(test::tcp::no_delay(true));
    raw_.upgrade(target);  // reads the 101 byte by byte: no frame is consumed with it
  }

  void send(std::string_view text) { write(test::clientFrame(op::text, text)); }

  /// The next server frame; nullopt when the connection ended (or timed out) first.
  std::optional<Frame> readFrame() {
    auto h = readBytes(2);
    if (!h) return std::nullopt;
    Frame f;
    const auto b0 = static_cast<unsigned char>((*h)[0]);
    const auto b1 = static_cast<unsigned char>((*h)[1]);
    f.fin = (b0 & 0x80) != 0;
    f.rsv = (b0 >> 4) & 0x7;
    f.opcode = b0 & 0x0F;
    f.masked = (b1 & 0x80) != 0;
    std::uint64_t len = b1 & 0x7F;
    if (len >= 126) {
      auto ext = readBytes(len == 126 ? 2 : 8);
      if (!ext) return std::nullopt;
      len = 0;
      for (char c : *ext) len = (len << 8) | static_cast<unsigned char>(c);
    }
    std::string mask;
    if (f.masked) {
      auto m = readBytes(4);
      if (!m) return std::nullopt;
      mask = *m;
    }
    auto payload = readBytes(static_cast<std::size_t>(len));
    if (!payload) return std::nullopt;
    f.payload = std::move(*payload);
    for (std::size_t i = 0; f.masked && i < f.payload.size(); ++i) f.payload[i] ^= mask[i % 4];
    return f;
  }

  /// Reads the next frame and requires it to be a well-formed, unmasked, final frame.
  Frame expectFrame() {
    auto f = readFrame();
    REQUIRE_MESSAGE(f.has_value(), "no frame came; " << status());
    INFO(describe(*f));
    CHECK(f->fin);
    CHECK(f->rsv == 0);
    CHECK_FALSE(f->masked);
    return *f;
  }

  /// Every frame until the server ends the connection; `closed` tells whether it did
  /// (rather than the read timing out).
  std::vector<Frame> readUntilClosed(bool& closed) {
    std::vector<Frame> frames;
    for (int i = 0; i < 1000; ++i) {
      auto f = readFrame();
      if (!f) break;
      frames.push_back(std::move(*f));
    }
    closed = eof_ && buf_.empty();
    return frames;
  }

  /// What the connection looks like, for failure messages.
  std::string status() const {
    std::string hex;
    for (unsigned char c : buf_.substr(0, 64))
      hex += "0123456789abcdef"[c >> 4], hex += "0123456789abcdef"[c & 15], hex += ' ';
    return "last read error: '" + lastError_ + "', " + std::to_string(buf_.size()) +
           " unread bytes: " + hex;
  }
};

/// The two bytes of a close payload with `code`, then `reason`.
std::string closePayload(std::uint16_t code, std::string_view reason = {}) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  p.append(reason);
  return p;
}

/// Sends `bytes` (which must make the server fail the connection) immediately followed, in
/// the same write, by a valid text frame; expects exactly one close frame with `code` and
/// then the end of the TCP connection: nothing is delivered after the error.
void expectFailure(std::uint16_t port, std::string_view bytes, std::uint16_t code) {
  WsPeer peer(port);
  peer.write(std::string(bytes) + test::clientFrame(op::text, "must not be echoed"));
  bool closed = false;
  const auto frames = peer.readUntilClosed(closed);
  INFO("frames: " << describeAll(frames));
  INFO(peer.status());
  CHECK(closed);
  REQUIRE(frames.size() >= 1);
  CHECK(frames.size() == 1);
  const auto& f = frames.front();
  INFO(describe(f));
  CHECK(f.opcode == op::close);
  CHECK(f.fin);
  CHECK_FALSE(f.masked);
  CHECK(f.closeCode() == code);
  for (const auto& g : frames) CHECK(g.opcode != op::text);
}

/// The server still echoes on a new connection.
void checkStillEchoes(std::uint16_t port) {
  WsPeer peer(port);
  peer.send("still here");
  auto f = peer.expectFrame();
  CHECK(f.opcode == op::text);
  CHECK(f.payload == "still here");
}

std::string bytes0To(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i & 0xFF));
  return s;
}

}  // namespace

TEST_CASE("ws protocol: ping gets a pong with the same payload") {
  test::Running<TestApp> app(echoRoute);
  WsPeer peer(app.port());
  for (const auto& payload : {std::string(), std::string("hi"), bytes0To(125)}) {
    CAPTURE(payload.size());
    peer.write(test::clientFrame(op::ping, payload));
    auto f = peer.expectFrame();
    CHECK(f.opcode == op::pong);
    CHECK(f.payload == payload);
  }
  peer.send("after pings");
  auto f = peer.expectFrame();
  CHECK(f.opcode == op::text);
  CHECK(f.payload == "after pings");
}

TEST_CASE("ws protocol: an unsolicited pong is ignored") {
  test::Running<TestApp> app(echoRoute);
  WsPeer peer(app.port());
  peer.write(test::clientFrame(op::pong, "unsolicited") + test::clientFrame(op::pong, "") +
             test::clientFrame(op::text, "still echoing"));
  auto f = peer.expectFrame();  // the echo, with no frame for the pongs before it
  CHECK(f.opcode == op::text);
  CHECK(f.payload == "still echoing");
}

TEST_CASE("ws protocol: a client close 1000 is answered with 1000, then TCP ends") {
  test::Running<TestApp> app(echoRoute);
  {
    WsPeer peer(app.port());
    peer.write(test::clientFrame(op::close, closePayload(1000)));
    auto f = peer.expectFrame();
    CHECK(f.opcode == op::close);
    CHECK(f.closeCode() == 1000);
    CHECK(peer.closedByPeer());
  }
  {
    // Data after the client's close is not delivered; the reply is the only frame.
    WsPeer peer(app.port());
    peer.write(test::clientFrame(op::close, closePayload(1000)) +
               test::clientFrame(op::text, "after close"));
    bool closed = false;
    const auto frames = peer.readUntilClosed(closed);
    INFO("frames: " << describeAll(frames));
    CHECK(closed);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].opcode == op::close);
    CHECK(frames[0].closeCode() == 1000);
  }
  {
    // A close between the fragments of a message: the partial message is dropped.
    WsPeer peer(app.port());
    peer.write(test::clientFrame(op::text, "part", false) +
               test::clientFrame(op::close, closePayload(1000)));
    bool closed = false;
    const auto frames = peer.readUntilClosed(closed);
    INFO("frames: " << describeAll(frames));
    CHECK(closed);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].opcode == op::close);
    CHECK(frames[0].closeCode() == 1000);
  }
  checkStillEchoes(app.port());
}

TEST_CASE("ws protocol: a client close 4000 'bye' is echoed with 4000") {
  test::Running<TestApp> app(echoRoute);
  {
    WsPeer peer(app.port());
    peer.write(test::clientFrame(op::close, closePayload(4000, "bye")));
    auto f = peer.expectFrame();
    CHECK(f.opcode == op::close);
    CHECK(f.closeCode() == 4000);
    CHECK(peer.closedByPeer());
  }
  {
    // A close without a status is answered with a close without a status.
    WsPeer peer(app.port());
    peer.write(test::clientFrame(op::close, ""));
    auto f = peer.expectFrame();
    CHECK(f.opcode == op::close);
    CHECK(f.payload.empty());
    CHECK(peer.closedByPeer());
  }
  {
    // The same through Beast: close() returns once the server's close came.
    test::WsClient c(app.port());
    c.close(4000, "bye");
    CHECK(c.stream().reason().code == 4000);
  }
  checkStillEchoes(app.port());
}

TEST_CASE("ws protocol: a component's close(4001, \"done\") reaches the client") {
  test::Running<TestApp> app(
      [](ratchet::App& a) { a.route("/quit", std::make_shared<QuitOnCommand>(), {"*"}); });
  {
    test::WsClient c(app.port(), "/quit");
    c.send("hello");
    CHECK(c.read() == "hello");
    c.send("quit");
    CHECK(c.readClose() == 4001);
    CHECK(c.closeReason() == "done");
  }
  {
    WsPeer peer(app.port(), "/quit");
    peer.send("quit");
    auto f = peer.expectFrame();
    CHECK(f.opcode == op::close);
    CHECK(f.closeCode() == 4001);
    CHECK(f.closeReason() == "done");
    // The client completes the handshake; the server then ends TCP.
    peer.write(test::clientFrame(op::close, closePayload(4001)));
    CHECK(peer.closedByPeer());
  }
  test::WsClient c(app.port(), "/quit");
  c.send("still here");
  CHECK(c.read() == "still here");
  c.close();
}

TEST_CASE("ws protocol: protocol errors close with 1002 and nothing after them is delivered") {
  test::Running<TestApp> app(echoRoute);
  const std::pair<const char*, std::string> cases[] = {
      {"unmasked frame", std::string("\x81\x05hello")},
      {"RSV1 set", test::clientFrame(op::text, "hello", true, 0x4)},
      {"RSV2 set", test::clientFrame(op::text, "hello", true, 0x2)},
      {"RSV3 set", test::clientFrame(op::binary, "hello", true, 0x1)},
      {"reserved opcode 3", test::clientFrame(0x3, "hello")},
      {"reserved opcode 0xB", test::clientFrame(0xB, "hello")},
      {"continuation without start", test::clientFrame(op::continuation, "hello")},
      {"new message inside a fragmented one",
       test::clientFrame(op::text, "hel", false) + test::clientFrame(op::text, "lo")},
      {"fragmented ping (FIN=0 control)", test::clientFrame(op::ping, "hello", false)},
      {"ping with 126-byte payload", test::clientFrame(op::ping, std::string(126, 'p'))},
      {"pong with 126-byte payload", test::clientFrame(op::pong, std::string(126, 'p'))},
      {"close with 126-byte payload",
       test::clientFrame(op::close, closePayload(1000, std::string(124, 'r')))},
      {"64-bit length with the most significant bit set",
       std::string("\x82\xFF\x80\0\0\0\0\0\0\x01\x12\x34\x56\x78", 14)},
      {"close with 1-byte payload", test::clientFrame(op::close, std::string(1, '\x03'))},
      {"close code 1005", test::clientFrame(op::close, closePayload(1005))},
      {"close code 1006", test::clientFrame(op::close, closePayload(1006))},
      {"close code 999", test::clientFrame(op::close, closePayload(999))},
      {"close code 5000", test::clientFrame(op::close, closePayload(5000))},
  };
  for (const auto& [what, bytes] : cases) {
    INFO("case: " << std::string(what));
    expectFailure(app.port(), bytes, ratchet::close_code::protocol_error);
  }
  checkStillEchoes(app.port());
}

TEST_CASE("ws protocol: invalid UTF-8 text closes with 1007") {
  test::Running<TestApp> app(echoRoute);
  SUBCASE("in a single frame") {
    for (const auto& bad : {std::string("abc\xFF"), std::string("\xC0\xAF"),
                            std::string("\xED\xA0\x80"), std::string("ok \xE2\x82")}) {
      CAPTURE(bad);
      expectFailure(app.port(), test::clientFrame(op::text, bad),
                    ratchet::close_code::invalid_payload);
    }
  }
  SUBCASE("split across fragments") {
    // Valid across the split: "€" is E2 82 AC.
    {
      WsPeer peer(app.port());
      peer.write(test::clientFrame(op::text, "price \xE2", false) +
                 test::clientFrame(op::continuation, "\x82", false) +
                 test::clientFrame(op::continuation, "\xAC!"));
      auto f = peer.expectFrame();
      CHECK(f.opcode == op::text);
      CHECK(f.payload == "price \xE2\x82\xAC!");
    }
    // F0 9F starts a 4-byte sequence; '(' cannot continue it.
    expectFailure(app.port(),
                  test::clientFrame(op::text, "ab\xF0\x9F", false) +
                      test::clientFrame(op::continuation, "(\x8C"),
                  ratchet::close_code::invalid_payload);
    // The message ends in the middle of a sequence.
    expectFailure(
        app.port(),
        test::clientFrame(op::text, "a\xE2\x82", false) + test::clientFrame(op::continuation, ""),
        ratchet::close_code::invalid_payload);
  }
  SUBCASE("binary messages are not validated") {
    WsPeer peer(app.port());
    const std::string bytes("\xFF\xC0\xAF\xED\xA0\x80", 6);
    peer.write(test::clientFrame(op::binary, bytes));
    auto f = peer.expectFrame();
    CHECK(f.opcode == op::binary);
    CHECK(f.payload == bytes);
  }
  SUBCASE("in a close reason") {
    expectFailure(app.port(), test::clientFrame(op::close, closePayload(1000, "bye \xFF")),
                  ratchet::close_code::invalid_payload);
  }
  SUBCASE("fails fast, before the rest of the frame arrives") {
    // A text frame announcing 1000 bytes, of which only the first two (C0 AF) are sent.
    const auto whole = test::clientFrame(op::text, std::string("\xC0\xAF") + std::string(998, 'a'));
    const std::size_t header = 2 + 2 + 4;  // 126-form length, then the mask key
    WsPeer peer(app.port());
    peer.write(whole.substr(0, header + 2));
    auto f = peer.expectFrame();  // bounded by the socket timeout: the server must not wait
    CHECK(f.opcode == op::close);
    CHECK(f.closeCode() == ratchet::close_code::invalid_payload);
    CHECK(peer.closedByPeer());
  }
  checkStillEchoes(app.port());
}

TEST_CASE("ws protocol: a message over WsOptions::maxMessageBytes closes with 1009") {
  auto options = test::testOptions();
  options.ws.maxMessageBytes = 1024;
  test::Running<TestApp> app(echoRoute, options);
  const std::string big(2000, 'b');
  SUBCASE("single frame") {
    expectFailure(app.port(), test::clientFrame(op::text, big), ratchet::close_code::too_big);
    expectFailure(app.port(), test::clientFrame(op::binary, std::string(1025, '\0')),
                  ratchet::close_code::too_big);
  }
  SUBCASE("four fragments of 500") {
    std::string frames;
    for (int i = 0; i < 4; ++i)
      frames +=
          test::clientFrame(i == 0 ? op::text : op::continuation, big.substr(i * 500, 500), i == 3);
    expectFailure(app.port(), frames, ratchet::close_code::too_big);
  }
  SUBCASE("exactly the limit still echoes") {
    WsPeer peer(app.port());
    const auto exact = bytes0To(1024);
    peer.write(test::clientFrame(op::binary, exact));
    auto f = peer.expectFrame();
    CHECK(f.opcode == op::binary);
    CHECK(f.payload == exact);
    // And as fragments adding up to the limit.
    const std::string text(1024, 't');
    peer.write(test::clientFrame(op::text, text.substr(0, 512), false) +
               test::clientFrame(op::continuation, text.substr(512, 256), false) +
               test::clientFrame(op::continuation, text.substr(768)));
    auto g = peer.expectFrame();
    CHECK(g.opcode == op::text);
    CHECK(g.payload == text);
  }
  checkStillEchoes(app.port());
}

TEST_CASE("ws protocol: a frame over WsOptions::maxFrameBytes closes with 1009") {
  auto options = test::testOptions();
  options.ws.maxFrameBytes = 100;
  test::Running<TestApp> app(echoRoute, options);
  expectFailure(app.port(), test::clientFrame(op::binary, std::string(101, 'f')),
                ratchet::close_code::too_big);
  // Frames within the limit make a larger message.
  WsPeer peer(app.port());
  const std::string text(300, 'm');
  peer.write(test::clientFrame(op::text, text.substr(0, 100), false) +
             test::clientFrame(op::continuation, text.substr(100, 100), false) +
             test::clientFrame(op::continuation, text.substr(200)));
  auto f = peer.expectFrame();
  CHECK(f.opcode == op::text);
  CHECK(f.payload == text);
}

TEST_CASE("ws protocol: a server close the client never answers ends after closeTimeout") {
  auto options = test::testOptions();
  options.ws.closeTimeout = 300ms;
  test::Running<TestApp> app(
      [](ratchet::App& a) { a.route("/quit", std::make_shared<QuitOnCommand>(), {"*"}); }, options);
  WsPeer peer(app.port(), "/quit");
  peer.send("quit");
  auto f = peer.expectFrame();
  CHECK(f.opcode == op::close);
  CHECK(f.closeCode() == 4001);
  // No reply from the client: the server gives up within the socket timeout.
  bool closed = false;
  const auto after = peer.readUntilClosed(closed);
  INFO("frames after the close: " << describeAll(after));
  CHECK(closed);
  CHECK(after.empty());
  test::WsClient c(app.port(), "/quit");
  c.send("still here");
  CHECK(c.read() == "still here");
  c.close();
}

TEST_CASE("ws protocol: a silent peer is pinged, then dropped") {
  auto options = test::testOptions();
  options.ws.pingInterval = 200ms;
  options.ws.pongTimeout = 200ms;
  test::Running<TestApp> app(echoRoute, options);
  WsPeer peer(app.port());
  const auto start = std::chrono::steady_clock::now();
  auto ping = peer.expectFrame();
  CHECK(ping.opcode == op::ping);
  // Then, within the socket timeout, the server ends TCP: a peer that does not answer is
  // presumed gone, so no close handshake is attempted (and certainly no 1011 from the
  // component's onError reaction to the ping timeout).
  bool closed = false;
  const auto after = peer.readUntilClosed(closed);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  INFO(peer.status());
  INFO("frames after the ping: " << describeAll(after));
  CHECK(closed);
  CHECK(after.empty());
  CHECK(elapsed >= 300ms);  // pingInterval + pongTimeout, less the upgrade's round trip
  checkStillEchoes(app.port());
}

TEST_CASE("ws protocol: a peer that answers pings stays connected") {
  auto options = test::testOptions();
  options.ws.pingInterval = 200ms;
  options.ws.pongTimeout = 200ms;
  test::Running<TestApp> app(echoRoute, options);

  SUBCASE("Beast client, answering while it reads") {
    test::WsClient c(app.port());
    auto& ws = c.stream();
    // Beast answers pings only inside a read, so keep one asynchronous read pending on the
    // client's own io_context; after the third ping (at least five silent intervals) send a
    // message, whose echo completes the read.
    auto& ioc = static_cast<test::asio::io_context&>(
        test::asio::query(ws.get_executor(), test::asio::execution::context));
    int pings = 0;
    bool sent = false;
    ws.control_callback([&](test::websocket::frame_type kind, boost::beast::string_view) {
      if (kind != test::websocket::frame_type::ping || ++pings != 3) return;
      sent = true;
      // Initiated outside the read operation, which is still pending (Beast allows one
      // read and one write at a time).
      test::asio::post(ioc, [&ws] {
        ws.text(true);
        ws.async_write(test::asio::buffer(std::string_view("alive")),
                       [](boost::system::error_code ec, std::size_t) { CHECK_FALSE(ec); });
      });
    });
    boost::beast::flat_buffer buffer;
    boost::system::error_code readEc = test::asio::error::would_block;
    ws.async_read(buffer, [&](boost::system::error_code ec, std::size_t) { readEc = ec; });
    ioc.restart();
    ioc.run_for(test::kTimeout);
    ws.control_callback();
    INFO("read: " << readEc.message() << ", pings seen: " << pings);
    // A read still pending here must not be mixed with the synchronous calls below.
    REQUIRE(readEc != test::asio::error::would_block);
    CHECK(pings >= 3);
    CHECK(sent);
    CHECK_FALSE(readEc);
    CHECK(boost::beast::buffers_to_string(buffer.data()) == "alive");
    // Still connected and echoing afterwards, synchronously.
    c.send("and again");
    CHECK(c.read() == "and again");
    c.close();
  }

  SUBCASE("raw client answering by hand") {
    WsPeer peer(app.port());
    for (int i = 0; i < 3; ++i) {
      CAPTURE(i);
      auto f = peer.expectFrame();
      REQUIRE(f.opcode == op::ping);
      peer.write(test::clientFrame(op::pong, f.payload));
    }
    peer.send("alive");
    auto f = peer.expectFrame();
    CHECK(f.opcode == op::text);
    CHECK(f.payload == "alive");
  }
}

TEST_CASE("ws protocol: pings between fragments are answered and the message echoed once") {
  test::Running<TestApp> app(echoRoute);
  struct Kind {
    const char* name;
    std::uint8_t opcode;
    std::string parts[3];
  };
  const Kind kinds[] = {
      {"text", op::text, {"Hel", "lo, w", "orld \xE2\x82\xAC"}},
      {"binary", op::binary, {std::string("\0\1", 2), std::string("\xFF\xFE\0", 3), "end"}},
  };
  WsPeer peer(app.port());
  for (const auto& k : kinds) {
    INFO("kind: " << std::string(k.name));
    peer.write(test::clientFrame(k.opcode, k.parts[0], false) + test::clientFrame(op::ping, "p1") +
               test::clientFrame(op::continuation, k.parts[1], false) +
               test::clientFrame(op::ping, "p2") + test::clientFrame(op::continuation, k.parts[2]));
    std::vector<std::string> pongs;
    std::optional<Frame> data;
    for (int i = 0; i < 10 && !data; ++i) {
      auto f = peer.expectFrame();
      if (f.opcode == op::pong)
        pongs.push_back(f.payload);
      else
        data = f;
    }
    REQUIRE(data.has_value());
    CHECK(pongs == std::vector<std::string>{"p1", "p2"});
    CHECK(data->opcode == k.opcode);
    CHECK(data->payload == k.parts[0] + k.parts[1] + k.parts[2]);
    // Echoed once: the next frame answers the next message.
    peer.send("next");
    auto next = peer.expectFrame();
    CHECK(next.opcode == op::text);
    CHECK(next.payload == "next");
  }
}

TEST_CASE("ws protocol: frames written one byte at a time") {
  test::Running<TestApp> app(echoRoute);
  WsPeer peer(app.port());
  const auto byteByByte = [&](const std::string& bytes) {
    for (char c : bytes) peer.write(std::string_view(&c, 1));
  };
  // A 125-byte ping: its payload is gathered across reads, unmasked at the right key phase.
  const auto ping = bytes0To(125);
  byteByByte(test::clientFrame(op::ping, ping));
  auto pong = peer.expectFrame();
  CHECK(pong.opcode == op::pong);
  CHECK(pong.payload == ping);
  // A 300-byte text message (16-bit length), whole and as fragments of odd sizes.
  std::string text;
  for (int i = 0; i < 300; ++i) text.push_back(static_cast<char>('a' + i % 26));
  byteByByte(test::clientFrame(op::text, text));
  auto whole = peer.expectFrame();
  CHECK(whole.opcode == op::text);
  CHECK(whole.payload == text);
  byteByByte(test::clientFrame(op::text, text.substr(0, 7), false) +
             test::clientFrame(op::continuation, text.substr(7, 130), false) +
             test::clientFrame(op::continuation, text.substr(137)));
  auto fragmented = peer.expectFrame();
  CHECK(fragmented.opcode == op::text);
  CHECK(fragmented.payload == text);
}

TEST_CASE("ws protocol: empty messages are delivered") {
  test::Running<TestApp> app(echoRoute);
  WsPeer peer(app.port());
  peer.write(test::clientFrame(op::text, ""));
  auto a = peer.expectFrame();
  CHECK(a.opcode == op::text);
  CHECK(a.payload.empty());
  peer.write(test::clientFrame(op::binary, "", false) + test::clientFrame(op::continuation, ""));
  auto b = peer.expectFrame();
  CHECK(b.opcode == op::binary);
  CHECK(b.payload.empty());
  peer.send("then text");
  auto c = peer.expectFrame();
  CHECK(c.opcode == op::text);
  CHECK(c.payload == "then text");
}
