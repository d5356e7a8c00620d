// WsServer behind HttpServer and Router over MemoryTransport: the upgrade and hand-over, the
// close handshake, keep-alive pings, the idle timeout, the queue policy and protocol errors,
// all in virtual time.
#include "memory_test_support.hpp"

#include <doctest/doctest.h>

using namespace memtest;
using namespace std::chrono_literals;
using ratchet::Duration;
using ratchet::WsOptions;

namespace {

constexpr std::uint8_t kText = 0x1, kBinary = 0x2, kClose = 0x8, kPing = 0x9, kPong = 0xA;

const std::string kPingFrame("\x89\x00", 2);
const std::string kEmptyPong("\x8a\x00", 2);

// Options with the keep-alive ping off, for tests about something else.
WsOptions noPings() {
  WsOptions o;
  o.pingInterval = Duration(0);
  return o;
}

std::string serverClose(std::uint16_t code, std::string_view reason = {}) {
  return ratchet::detail::makeFrame(WsOpcode::close, closePayload(code, reason));
}

}  // namespace

// ---- the upgrade ---------------------------------------------------------------------------

TEST_CASE("ws: a valid upgrade gets 101, the component's onOpen, and the transport") {
  WsStack s(noPings());
  auto* session = s.t->handler();
  REQUIRE(session != nullptr);
  s.t->feed(upgradeRequest("/ws?room=1", "Origin: https://example.com\r\n"));
  CHECK(s.t->take() == kSwitching);
  REQUIRE(s.app->events == std::vector<std::string>{"open"});
  const auto conn = s.conn();
  // The hand-over: the transport now feeds the WebSocket connection itself.
  CHECK(s.t->handler() != session);
  CHECK(dynamic_cast<ratchet::Connection*>(s.t->handler()) == conn.get());
  CHECK(conn->request().target() == "/ws?room=1");
  CHECK(conn->request().queryParam("room") == "1");
  CHECK(conn->request().header("origin") == "https://example.com");
  CHECK(conn->subprotocol().empty());
  CHECK(conn->isOpen());
  CHECK(s.ws->connectionCount() == 1);
  // Frames reach the component, and what it sends is framed.
  s.t->feed(clientText("hello"));
  CHECK(s.app->events.back() == "text:hello");
  s.t->feed(clientFrame(WsOpcode::binary, std::string("\x00\x01\x02", 3)));
  CHECK(s.app->events.back() == std::string("binary:\x00\x01\x02", 10));
  conn->send("hi");
  conn->sendBinary("b");
  CHECK(s.t->take() == std::string("\x81\x02hi\x82\x01"
                                   "b"));
  // The HTTP timers are gone: nothing happens however long it stays silent.
  CHECK_FALSE(s.t->timerIn().has_value());
  s.t->advance(1h);
  CHECK(s.t->written().empty());
  CHECK(conn->isOpen());
}

TEST_CASE("ws: frames sent in the same read as the upgrade request are delivered") {
  WsStack s(noPings());
  s.t->feed(upgradeRequest() + clientText("early") + clientText("bird") +
            clientFrame(WsOpcode::text, "spl", false));
  CHECK(s.t->take() == kSwitching);
  CHECK(s.app->events == std::vector<std::string>{"open", "text:early", "text:bird"});
  s.t->feed(clientFrame(WsOpcode::continuation, "it"));
  CHECK(s.app->events.back() == "text:split");
}

TEST_CASE("ws: frames split byte by byte; fragments; pings answered in between") {
  WsStack s(noPings());
  REQUIRE(s.upgrade());
  const auto frame = clientText("byte by byte");
  for (char c : frame) s.t->feed(std::string_view(&c, 1));
  CHECK(s.app->events.back() == "text:byte by byte");
  s.t->feed(clientFrame(WsOpcode::text, "Hel", false));
  s.t->feed(clientFrame(WsOpcode::ping, "p!"));
  CHECK(s.t->take() == "\x8a\x02p!");  // the pong echoes the payload
  s.t->feed(clientFrame(WsOpcode::continuation, "lo, ", false) +
            clientFrame(WsOpcode::continuation, "world"));
  CHECK(s.app->events.back() == "text:Hello, world");
  CHECK(s.app->countOf("text:Hello, world") == 1);
  s.t->feed(clientFrame(WsOpcode::pong, ""));  // unsolicited pongs are ignored
  CHECK(s.t->written().empty());
  CHECK(s.app->events.size() == 3);
}

TEST_CASE("ws: an upgrade pipelined behind a plain request, with a frame after it") {
  WsStack s(noPings());
  s.router->add("/hello", std::make_shared<ratchet::HttpHandler>([](const ratchet::Request&) {
                  return ratchet::HttpResponse::text("hi\n");
                }));
  s.t->feed(get("/hello") + upgradeRequest() + clientText("first"));
  const auto out = s.t->take();
  const std::string hello =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
      "Connection: keep-alive\r\n\r\nhi\n";
  CHECK(out.substr(0, hello.size()) == hello);
  CHECK(out.substr(hello.size()) == kSwitching);
  CHECK(s.app->events == std::vector<std::string>{"open", "text:first"});
  CHECK(dynamic_cast<ratchet::Connection*>(s.t->handler()) == s.conn().get());
  s.t->feed(clientText("second"));
  CHECK(s.app->events.back() == "text:second");
}

TEST_CASE("ws: an upgrade on a keep-alive connection, later") {
  WsStack s(noPings());
  s.router->add("/hello", std::make_shared<ratchet::HttpHandler>([](const ratchet::Request&) {
                  return ratchet::HttpResponse::text("hi\n");
                }));
  s.t->feed(get("/hello"));
  CHECK(statusLine(s.t->take()) == "HTTP/1.1 200 OK");
  s.t->advance(4s);  // within the keep-alive timeout
  CHECK(s.upgrade());
  s.t->advance(1h);  // neither the keep-alive nor the handshake timer survives the upgrade
  CHECK(s.t->written().empty());
  CHECK(s.conn()->isOpen());
}

TEST_CASE("ws: header tokens are matched as lists, case-insensitively") {
  WsStack s(noPings());
  s.t->feed(
      "GET /ws HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive, Upgrade\r\n"
      "Upgrade: WebSocket\r\nSec-WebSocket-Version:  13 \r\nSec-WebSocket-Key:  " +
      std::string(kKey) + " \r\n\r\n");
  CHECK(s.t->take() == kSwitching);
  CHECK(s.app->events == std::vector<std::string>{"open"});
}

TEST_CASE("ws: going quiet mid-message or mid-frame loses nothing") {
  WsStack s(noPings());
  REQUIRE(s.upgrade());
  const std::string big(300, 'q');
  s.t->feed(clientFrame(WsOpcode::text, "part one, ", false));
  s.t->goesQuiet();
  const auto frame = clientFrame(WsOpcode::continuation, big);
  s.t->feed(frame.substr(0, 100));
  s.t->goesQuiet();
  s.t->feed(frame.substr(100));
  CHECK(s.app->events == std::vector<std::string>{"open", "text:part one, " + big});
  const auto ping = clientFrame(WsOpcode::ping, "ping payload");
  s.t->feed(ping.substr(0, 9));
  s.t->goesQuiet();
  s.t->feed(ping.substr(9));
  CHECK(s.t->take() == ratchet::detail::makeFrame(WsOpcode::pong, "ping payload"));
  s.t->goesQuiet();  // between messages
  s.t->feed(clientText("after"));
  CHECK(s.app->events.back() == "text:after");
}

TEST_CASE("ws: what the component sends in onOpen follows the 101") {
  WsStack s(noPings());
  s.app->openHook = [](const ConnectionPtr& c) { c->send("welcome"); };
  s.t->feed(upgradeRequest());
  std::string expected(kSwitching);  // (not `std::string(kSwitching) + ...`: g++ 12 warns)
  expected.append("\x81\x07welcome");
  CHECK(s.t->take() == expected);
}

TEST_CASE("ws: large messages get the 16- and 64-bit length forms") {
  WsStack s(noPings());
  REQUIRE(s.upgrade());
  const std::string medium(300, 'm'), large(70'000, 'L');
  s.conn()->send(medium);
  s.conn()->sendBinary(large);
  const auto out = s.t->take();
  CHECK(out.substr(0, 4) == std::string("\x81\x7e\x01\x2c", 4));
  const auto frames = parseFrames(out);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].payload == medium);
  CHECK(frames[1].opcode == kBinary);
  CHECK(frames[1].payload == large);
  CHECK(out.substr(304, 10) == std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x11\x70", 10));
  // And in the other direction.
  s.t->feed(clientFrame(WsOpcode::binary, large));
  CHECK(s.app->events.back() == "binary:" + large);
}

TEST_CASE("ws: a subprotocol the component speaks is chosen; strict mode refuses others") {
  struct Chat : RecordingComponent, ratchet::WsServerInterface {
    std::vector<std::string> getSubProtocols() const override { return {"chat", "v2.chat"}; }
  };
  SUBCASE("the first the client offers that the component speaks") {
    auto app = std::make_shared<Chat>();
    auto router = std::make_shared<ratchet::Router>();
    router->add("/ws", std::make_shared<ratchet::WsServer>(app, noPings()));
    auto t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(router));
    t->feed(upgradeRequest("/ws", "Sec-WebSocket-Protocol: superchat, v2.chat, chat\r\n"));
    CHECK(t->take() ==
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: "
          "v2.chat\r\n\r\n");
    REQUIRE(app->conns.size() == 1);
    CHECK(app->conns[0]->subprotocol() == "v2.chat");
  }
  SUBCASE("none in common: accepted without one, or refused when strict") {
    for (bool strict : {false, true}) {
      CAPTURE(strict);
      auto app = std::make_shared<Chat>();
      auto options = noPings();
      options.strictSubprotocols = strict;
      auto router = std::make_shared<ratchet::Router>();
      router->add("/ws", std::make_shared<ratchet::WsServer>(app, options));
      auto t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(router));
      t->feed(upgradeRequest("/ws", "Sec-WebSocket-Protocol: CHAT\r\n"));  // case-sensitive
      const auto out = t->take();
      if (strict) {
        CHECK(statusLine(out) == "HTTP/1.1 400 Bad Request");
        CHECK(
            out.ends_with("Connection: close\r\n\r\nBad request: no supported subprotocol "
                          "offered\n"));
        CHECK(t->finishing());
        CHECK(app->events.empty());
      } else {
        CHECK(out == kSwitching);
        CHECK(app->events == std::vector<std::string>{"open"});
      }
    }
  }
}

TEST_CASE("ws: bad upgrade requests are refused with 405, 426 or 400, and closed") {
  struct Case {
    const char* name;
    std::string request;
    std::string status;
    std::vector<std::string> headers;
  };
  const std::string key = std::string("Sec-WebSocket-Key: ") + std::string(kKey) + "\r\n";
  const std::vector<Case> cases = {
      {"POST",
       "POST /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
           "Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n",
       "HTTP/1.1 405 Method Not Allowed",
       {"\r\nAllow: GET\r\n"}},
      {"no Upgrade",
       get("/ws"),
       "HTTP/1.1 426 Upgrade Required",
       {"\r\nUpgrade: websocket\r\n", "\r\nSec-WebSocket-Version: 13\r\n"}},
      {"Upgrade: h2c",
       "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n" + key +
           "Sec-WebSocket-Version: 13\r\n\r\n",
       "HTTP/1.1 426 Upgrade Required",
       {"\r\nUpgrade: websocket\r\n"}},
      {"version 8",
       "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
           "Sec-WebSocket-Version: 8\r\n\r\n",
       "HTTP/1.1 426 Upgrade Required",
       {"\r\nSec-WebSocket-Version: 13\r\n"}},
      {"HTTP/1.0",
       "GET /ws HTTP/1.0\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
           "Sec-WebSocket-Version: 13\r\n\r\n",
       "HTTP/1.1 400 Bad Request",
       {"\r\n\r\nBad request: WebSocket needs HTTP/1.1\n"}},
      {"no Connection: upgrade",
       "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n" + key +
           "Sec-WebSocket-Version: 13\r\n\r\n",
       "HTTP/1.1 400 Bad Request",
       {"Connection header must contain 'upgrade'"}},
      {"bad key",
       "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n",
       "HTTP/1.1 400 Bad Request",
       {"Sec-WebSocket-Key must be 16 bytes in base64"}},
      {"no key",
       "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Version: 13\r\n\r\n",
       "HTTP/1.1 400 Bad Request",
       {"Sec-WebSocket-Key must be 16 bytes in base64"}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    WsStack s(noPings());
    s.t->feed(c.request + clientText("ignored"));
    const auto out = s.t->take();
    CHECK(statusLine(out) == c.status);
    for (const auto& h : c.headers) CHECK_MESSAGE(out.find(h) != std::string::npos, h);
    CHECK(count(out, "Connection: close\r\n") == 1);
    CHECK(count(out, "HTTP/1.1 ") == 1);  // the bytes after it are not another request
    CHECK(s.t->finishing());
    CHECK(s.t->writesEnded());
    CHECK(s.app->events.empty());
    CHECK(s.ws->connectionCount() == 0);
  }
}

TEST_CASE("ws: an upgrade behind OriginCheck: a refused origin gets 403, an allowed one 101") {
  for (bool allowed : {false, true}) {
    CAPTURE(allowed);
    auto app = std::make_shared<RecordingComponent>();
    auto router = std::make_shared<ratchet::Router>();
    router->add("/ws", std::make_shared<ratchet::OriginCheck>(
                           std::make_shared<ratchet::WsServer>(app, noPings()),
                           std::vector<std::string>{"example.com"}));
    auto t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(router));
    t->feed(upgradeRequest(
        "/ws", allowed ? "Origin: http://example.com\r\n" : "Origin: http://evil.example\r\n"));
    const auto out = t->take();
    if (allowed) {
      CHECK(out == kSwitching);
      CHECK(app->events == std::vector<std::string>{"open"});
    } else {
      CHECK(statusLine(out) == "HTTP/1.1 403 Forbidden");
      CHECK(t->finishing());
      CHECK(app->events.empty());
    }
  }
}

// ---- the close handshake -------------------------------------------------------------------

TEST_CASE("ws: the peer's close is echoed, then the server ends TCP; onClose once at the end") {
  WsStack s(noPings());
  REQUIRE(s.upgrade());
  s.t->feed(clientClose(1000, "bye"));
  CHECK(s.t->take() == serverClose(1000));  // the code, without the reason
  CHECK(s.t->writesEnded());
  CHECK_FALSE(s.conn()->isOpen());
  CHECK(s.app->events == std::vector<std::string>{"open"});
  s.conn()->send("late");  // dropped
  s.t->feed(clientText("late"));
  CHECK(s.t->written().empty());
  s.t->peerCloses();
  CHECK(s.app->events == std::vector<std::string>{"open", "close"});
  s.t->advance(1h);
  CHECK(s.app->countOf("close") == 1);
  CHECK(s.ws->connectionCount() == 0);
}

TEST_CASE("ws: the peer's close codes are echoed; none stays none") {
  struct Case {
    std::string frame;
    std::string echo;
  };
  for (const auto& c : {Case{clientFrame(WsOpcode::close, ""), std::string("\x88\x00", 2)},
                        Case{clientClose(1001), serverClose(1001)},
                        Case{clientClose(4321, "app"), serverClose(4321)}}) {
    WsStack s(noPings());
    REQUIRE(s.upgrade());
    s.t->feed(c.frame);
    CHECK(s.t->take() == c.echo);
    CHECK(s.t->writesEnded());
  }
}

TEST_CASE("ws: server close(): close frame, then the peer's reply ends the connection") {
  WsOptions o = noPings();
  o.closeTimeout = 3s;
  WsStack s(o);
  REQUIRE(s.upgrade());
  s.conn()->close(4000, "bye");
  CHECK(s.t->take() == serverClose(4000, "bye"));
  CHECK_FALSE(s.conn()->isOpen());
  CHECK_FALSE(s.t->finishing());  // waits for the peer's reply
  CHECK(s.t->timerIn() == Duration(3s));
  s.conn()->close();  // again: nothing
  s.conn()->send("dropped");
  CHECK(s.t->written().empty());
  s.t->feed(clientText("discarded") + clientClose(4000));
  CHECK(s.t->written().empty());  // no second close frame
  CHECK(s.t->writesEnded());
  CHECK(s.app->events == std::vector<std::string>{"open"});  // data after our close: discarded
  s.t->advance(3s);  // the close timeout no longer applies: the linger timeout does
  CHECK(s.app->countOf("error:close_timeout") == 0);
  s.t->peerCloses();
  CHECK(s.app->events == std::vector<std::string>{"open", "close"});
}

TEST_CASE("ws: an invalid close code from the component is sent as 1000") {
  WsStack s(noPings());
  REQUIRE(s.upgrade());
  s.conn()->close(1005, "reserved");
  CHECK(onlyFrame(s.t->take()).closeCode() == 1000);
}

TEST_CASE("ws: server close with no reply: aborted after closeTimeout, onError close_timeout") {
  WsOptions o = noPings();
  o.closeTimeout = 2s;
  WsStack s(o);
  REQUIRE(s.upgrade());
  s.conn()->close();
  CHECK(s.t->take() == serverClose(1000));
  s.t->advance(1999ms);
  CHECK_FALSE(s.t->closed());
  s.t->advance(1ms);
  CHECK(s.t->closed());
  CHECK_FALSE(s.t->writesEnded());  // aborted, not finished
  CHECK(s.app->events == std::vector<std::string>{"open", "error:close_timeout", "close"});
  CHECK(s.ws->connectionCount() == 0);
}

TEST_CASE("ws: a server stop closes with 1001") {
  WsOptions o = noPings();
  o.closeTimeout = 1s;
  WsStack s(o);
  REQUIRE(s.upgrade());
  s.t->serverStops();
  CHECK(s.t->take() == serverClose(1001, "server shutting down"));
  CHECK_FALSE(s.conn()->isOpen());
  s.t->feed(clientClose(1001));
  CHECK(s.t->writesEnded());
  s.t->peerCloses();
  CHECK(s.app->events == std::vector<std::string>{"open", "close"});
}

TEST_CASE("ws: the peer vanishing without a close reaches onClose once") {
  WsStack s(noPings());
  REQUIRE(s.upgrade());
  s.t->peerCloses();
  CHECK(s.app->events == std::vector<std::string>{"open", "close"});
  CHECK_FALSE(s.conn()->isOpen());
  s.conn()->send("x");
  s.conn()->close();
  CHECK(s.t->written().empty());
  CHECK(s.app->closed.at(0) == s.conn());
}

// ---- keep-alive pings and the idle timeout -------------------------------------------------

TEST_CASE("ws: a ping after pingInterval of silence; no answer within pongTimeout drops") {
  WsOptions o;
  o.pingInterval = 1s;
  o.pongTimeout = 500ms;
  WsStack s(o);
  REQUIRE(s.upgrade());
  s.t->advance(999ms);
  CHECK(s.t->written().empty());
  s.t->advance(1ms);
  CHECK(s.t->take() == kPingFrame);
  s.t->advance(499ms);
  CHECK_FALSE(s.t->closed());
  s.t->advance(1ms);
  CHECK(s.t->closed());
  CHECK(s.t->written().empty());  // dropped without a close frame
  CHECK(s.app->events == std::vector<std::string>{"open", "error:ping_timeout", "close"});
}

TEST_CASE("ws: any input keeps the connection alive and puts the ping off") {
  WsOptions o;
  o.pingInterval = 1s;
  o.pongTimeout = 500ms;
  WsStack s(o);
  REQUIRE(s.upgrade());
  SUBCASE("a pong answers the ping") {
    s.t->advance(1s);
    CHECK(s.t->take() == kPingFrame);
    s.t->advance(300ms);
    s.t->feed(clientFrame(WsOpcode::pong, ""));
    s.t->advance(200ms);  // the pong check: heard from
    CHECK_FALSE(s.t->closed());
    CHECK(s.t->written().empty());
    s.t->advance(1s);  // silence again: the next ping
    CHECK(s.t->take() == kPingFrame);
    s.t->advance(500ms);
    CHECK(s.t->closed());
    CHECK(s.app->countOf("error:ping_timeout") == 1);
  }
  SUBCASE("a message in the interval: no ping at its end") {
    s.t->advance(500ms);
    s.t->feed(clientText("alive"));
    s.t->advance(500ms);
    CHECK(s.t->written().empty());
    s.t->advance(1s);  // a whole interval of silence since that check
    CHECK(s.t->take() == kPingFrame);
    s.t->feed(clientText("late but alive"));  // data answers a ping as well as a pong
    s.t->advance(500ms);
    CHECK_FALSE(s.t->closed());
    CHECK(s.app->events.back() == "text:late but alive");
  }
  SUBCASE("input only every 900 ms: never pinged, never dropped") {
    for (int i = 0; i < 20; ++i) {
      s.t->advance(900ms);
      s.t->feed(clientFrame(WsOpcode::pong, ""));
    }
    CHECK(s.t->written().empty());
    CHECK_FALSE(s.t->closed());
  }
}

TEST_CASE("ws: idleTimeout closes with 1000 \"idle timeout\"; only messages count") {
  WsOptions o = noPings();
  o.idleTimeout = 1s;
  o.closeTimeout = 5s;
  WsStack s(o);
  REQUIRE(s.upgrade());
  CHECK(s.t->timerIn() == Duration(1s));
  s.t->advance(400ms);
  s.t->feed(clientText("m"));  // pushes it to 1400 ms
  s.t->advance(400ms);
  s.t->feed(clientFrame(WsOpcode::ping, ""));  // does not count
  CHECK(s.t->take() == kEmptyPong);
  s.t->advance(200ms);  // 1000 ms: the timer finds the message 600 ms old
  CHECK(s.t->written().empty());
  s.t->advance(399ms);
  CHECK(s.t->written().empty());
  s.t->advance(1ms);
  CHECK(s.t->take() == serverClose(1000, "idle timeout"));
  CHECK_FALSE(s.conn()->isOpen());
  s.t->feed(clientClose(1000));
  CHECK(s.t->writesEnded());
  CHECK(s.app->countOf("error:close_timeout") == 0);
}

TEST_CASE("ws: pings and the idle timeout together") {
  WsOptions o;
  o.pingInterval = 300ms;
  o.pongTimeout = 300ms;
  o.idleTimeout = 1s;
  WsStack s(o);
  REQUIRE(s.upgrade());
  // Pongs keep it alive but are not messages: the idle timeout still comes at 1 s.
  std::string out;
  for (int i = 0; i < 10 && !s.t->finishing() && s.conn()->isOpen(); ++i) {
    s.t->advance(100ms);
    s.t->feed(clientFrame(WsOpcode::pong, ""));
    out += s.t->take();
  }
  CHECK(out == serverClose(1000, "idle timeout"));
  CHECK_FALSE(s.t->closed());
}

// ---- the queue policy ----------------------------------------------------------------------

TEST_CASE("ws: queue policy close: a full queue closes with 1008, after what was queued") {
  QuietLog quiet;
  MemoryTransport::Options to;
  to.maxQueuedBytes = 64;
  WsStack s(noPings(), to);
  REQUIRE(s.upgrade());
  s.t->stall();
  const std::string m40(40, 'a');
  s.conn()->send(m40);  // 42 bytes queued
  CHECK(s.conn()->bufferedAmount() == 42);
  s.conn()->send(m40);  // 84 > 64: the policy
  CHECK_FALSE(s.conn()->isOpen());
  CHECK(s.app->events == std::vector<std::string>{"open", "error:queue_overflow"});
  CHECK(s.t->finishing());
  CHECK_FALSE(s.t->writesEnded());  // waits for the queue to drain
  CHECK(s.t->written().empty());
  s.t->unstall();
  CHECK(s.t->take() ==
        ratchet::detail::makeFrame(WsOpcode::text, m40) + serverClose(1008, "send queue full"));
  CHECK(s.t->writesEnded());
  CHECK(s.ws->droppedMessages() == 0);
}

TEST_CASE("ws: queue policy drop: messages are dropped and counted, the connection stays") {
  QuietLog quiet;
  MemoryTransport::Options to;
  to.maxQueuedBytes = 64;
  WsOptions o = noPings();
  o.queuePolicy = ratchet::QueuePolicy::drop;
  WsStack s(o, to);
  REQUIRE(s.upgrade());
  s.t->stall();
  s.conn()->send(std::string(40, 'a'));
  s.conn()->send(std::string(10, 'b'));                              // 42 + 12 = 54: fits
  for (int i = 0; i < 3; ++i) s.conn()->send(std::string(20, 'c'));  // 54 + 22 > 64
  CHECK(s.ws->droppedMessages() == 3);
  CHECK(s.conn()->isOpen());
  CHECK(s.app->events == std::vector<std::string>{"open"});
  s.t->unstall();
  CHECK(s.t->take() == ratchet::detail::makeFrame(WsOpcode::text, std::string(40, 'a')) +
                           ratchet::detail::makeFrame(WsOpcode::text, std::string(10, 'b')));
  s.conn()->send("after");
  CHECK(s.t->take() ==
        "\x81\x05"
        "after");
  CHECK(s.ws->droppedMessages() == 3);
}

TEST_CASE("ws: one message larger than the queue limit still goes out on an empty queue") {
  QuietLog quiet;
  MemoryTransport::Options to;
  to.maxQueuedBytes = 64;
  WsStack s(noPings(), to);
  REQUIRE(s.upgrade());
  s.t->stall();
  const std::string big(1000, 'x');
  s.conn()->send(big);
  CHECK(s.conn()->isOpen());
  CHECK(s.conn()->bufferedAmount() == 1004);
  s.t->unstall();
  CHECK(s.t->take() == ratchet::detail::makeFrame(WsOpcode::text, big));
  CHECK(s.app->events == std::vector<std::string>{"open"});
}

TEST_CASE("ws: pongs and close frames are forced past a full queue") {
  QuietLog quiet;
  MemoryTransport::Options to;
  to.maxQueuedBytes = 16;
  WsStack s(noPings(), to);
  REQUIRE(s.upgrade());
  s.t->stall();
  s.conn()->send(std::string(30, 'a'));
  s.t->feed(clientFrame(WsOpcode::ping, "p"));
  s.conn()->close(1000);
  s.t->unstall();
  const auto frames = parseFrames(s.t->take());
  REQUIRE(frames.size() == 3);
  CHECK(frames[0].opcode == kText);
  CHECK(frames[1].opcode == kPong);
  CHECK(frames[1].payload == "p");
  CHECK(frames[2].opcode == kClose);
  CHECK(frames[2].closeCode() == 1000);
}

// ---- protocol errors -----------------------------------------------------------------------

TEST_CASE("ws: protocol errors close with 1002, 1007 or 1009 and report the errc") {
  struct Case {
    const char* name;
    std::string bytes;
    std::uint16_t code;
    const char* event;
  };
  std::string rsv = clientText("x");
  rsv[0] = static_cast<char>(rsv[0] | 0x40);
  std::string reservedOpcode = clientText("x");
  reservedOpcode[0] = static_cast<char>(0x83);
  const std::vector<Case> cases = {
      {"unmasked", clientFrame(WsOpcode::text, "x", true, false), 1002, "error:protocol_error"},
      {"RSV1 without an extension", rsv, 1002, "error:protocol_error"},
      {"reserved opcode", reservedOpcode, 1002, "error:protocol_error"},
      {"continuation first", clientFrame(WsOpcode::continuation, "x"), 1002,
       "error:protocol_error"},
      {"fragmented ping", clientFrame(WsOpcode::ping, "x", false), 1002, "error:protocol_error"},
      {"close code 999", clientClose(999), 1002, "error:protocol_error"},
      {"close payload of 1 byte", clientFrame(WsOpcode::close, "x"), 1002, "error:protocol_error"},
      {"ping of 126 bytes", clientFrame(WsOpcode::ping, std::string(126, 'p')), 1002,
       "error:protocol_error"},
      {"invalid UTF-8 in a close reason", clientClose(1000, "\xc3"), 1007, "error:invalid_utf8"},
      {"invalid UTF-8", clientText("ok\xff"), 1007, "error:invalid_utf8"},
      {"truncated UTF-8 at the end",
       clientFrame(WsOpcode::text, "\xe2\x82", false) + clientFrame(WsOpcode::continuation, ""),
       1007, "error:invalid_utf8"},
      {"frame over maxFrameBytes", clientFrame(WsOpcode::binary, std::string(65, 'f')), 1009,
       "error:message_too_big"},
      {"message over maxMessageBytes",
       clientFrame(WsOpcode::binary, std::string(60, 'f'), false) +
           clientFrame(WsOpcode::continuation, std::string(60, 'f')),
       1009, "error:message_too_big"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    WsOptions o = noPings();
    o.maxFrameBytes = 64;
    o.maxMessageBytes = 100;
    WsStack s(o);
    REQUIRE(s.upgrade());
    s.t->feed(c.bytes + clientText("after"));
    const auto frame = onlyFrame(s.t->take());
    CHECK(frame.opcode == kClose);
    CHECK(frame.closeCode() == c.code);
    CHECK_FALSE(frame.closeReason().empty());
    CHECK(frame.closeReason() == s.app->lastErrorWhat);
    CHECK(s.t->writesEnded());
    CHECK(s.app->events == std::vector<std::string>{"open", c.event});
    s.t->peerCloses();
    CHECK(s.app->events == std::vector<std::string>{"open", c.event, "close"});
  }
}

// ---- many connections, one server ---------------------------------------------------------

TEST_CASE("ws: broadcast frames once for every open connection") {
  WsStack s(noPings());
  REQUIRE(s.upgrade());
  auto t2 = MemoryTransport::open(s.http);
  t2->feed(upgradeRequest());
  CHECK(t2->take() == kSwitching);
  REQUIRE(s.app->conns.size() == 2);
  CHECK(s.ws->connectionCount() == 2);
  CHECK(s.ws->broadcast(ratchet::Message::text("all")) == 2);
  CHECK(s.t->take() ==
        "\x81\x03"
        "all");
  CHECK(t2->take() ==
        "\x81\x03"
        "all");
  s.conn()->close();
  CHECK(s.ws->broadcast(ratchet::Message::binary("b")) == 1);  // a closing one is skipped
  CHECK(t2->take() ==
        "\x82\x01"
        "b");
  t2->peerCloses();
  CHECK(s.ws->connectionCount() == 1);  // s.t is closing, not closed
  s.t->peerCloses();
  CHECK(s.ws->connectionCount() == 0);
  CHECK(s.ws->broadcast(ratchet::Message::text("none")) == 0);
}

namespace {

// Forwards to a WsServer and keeps a weak reference to the HTTP exchange of the upgrade.
class ExchangeSpy : public ratchet::HttpServerInterface {
 public:
  explicit ExchangeSpy(std::shared_ptr<ratchet::WsServer> ws) : ws_(std::move(ws)) {}
  void onOpen(ConnectionPtr conn, std::shared_ptr<const ratchet::Request> request) override {
    exchange = conn;
    ws_->onOpen(conn, std::move(request));
  }
  bool isThreadSafe() const noexcept override { return true; }
  std::weak_ptr<ratchet::Connection> exchange;

 private:
  std::shared_ptr<ratchet::WsServer> ws_;
};

}  // namespace

TEST_CASE("ws: a closed WebSocket connection is freed once the component lets it go") {
  std::weak_ptr<ratchet::Connection> conn;
  WsStack s(noPings());
  REQUIRE(s.upgrade());
  conn = s.conn();
  s.t->feed(clientClose(1000));
  s.t->peerCloses();
  REQUIRE(s.app->events == std::vector<std::string>{"open", "close"});
  s.app->conns.clear();
  s.app->closed.clear();
  CHECK(conn.expired());
}

// The upgrade's Exchange and its HttpSession refer to each other: the hand-over must end
// the exchange, or the pair (with the request and the transport) would never be freed.
TEST_CASE("ws: the upgrade's HTTP exchange and the transport are freed after the close") {
  std::weak_ptr<MemoryTransport> transport;
  std::weak_ptr<ratchet::Connection> exchange;
  {
    auto app = std::make_shared<RecordingComponent>();
    auto router = std::make_shared<ratchet::Router>();
    auto spy = std::make_shared<ExchangeSpy>(std::make_shared<ratchet::WsServer>(app, noPings()));
    router->add("/ws", spy);
    auto t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(router));
    transport = t;
    t->feed(upgradeRequest());
    REQUIRE(t->take() == kSwitching);
    exchange = spy->exchange;
    CHECK(exchange.expired());  // the hand-over ended it
    t->feed(clientClose(1000));
    t->peerCloses();
    REQUIRE(app->events == std::vector<std::string>{"open", "close"});
    app->conns.clear();
    app->closed.clear();
  }
  CHECK(exchange.expired());
  CHECK(transport.expired());
}
