// End-to-end tests of the HTTP side of a ratchet App: routing, the WebSocket handshake
// checks, origins, limits and timeouts. Every status is asserted on the real response a real
// client receives over loopback, and every test ends by checking that the server still serves.

#include "support.hpp"

#include <poll.h>
#include <algorithm>
#include <cctype>

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

constexpr std::string_view kSampleKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kSampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// An App whose routes are added by `setup` before test::Running starts run() (App wants its
/// routes added before the server runs).
class TestApp : public ratchet::App {
 public:
  explicit TestApp(const std::function<void(ratchet::App&)>& setup,
                   ratchet::AppOptions options = test::testOptions(),
                   std::string httpHost = "localhost")
      : App(std::move(httpHost), 0, "127.0.0.1", options) {
    setup(*this);
  }
};

/// Replies to every message with the query string of the request that opened the connection.
class QueryReply final : public ratchet::MessageComponentInterface {
 public:
  void onOpen(ratchet::ConnectionPtr) override {}
  void onMessage(ratchet::ConnectionPtr from, const ratchet::Message&) override {
    from->send(from->request().query());
  }
  void onClose(ratchet::ConnectionPtr) override {}
  void onError(ratchet::ConnectionPtr, const ratchet::Error&) override {}
  bool isThreadSafe() const noexcept override { return true; }
};

/// Speaks two subprotocols; replies to every message with "[<negotiated subprotocol>]".
class ChatProtocols final : public ratchet::MessageComponentInterface,
                            public ratchet::WsServerInterface {
 public:
  std::vector<std::string> getSubProtocols() const override { return {"v2.chat", "v1.chat"}; }
  void onOpen(ratchet::ConnectionPtr) override {}
  void onMessage(ratchet::ConnectionPtr from, const ratchet::Message&) override {
    from->send("[" + std::string(from->subprotocol()) + "]");
  }
  void onClose(ratchet::ConnectionPtr) override {}
  void onError(ratchet::ConnectionPtr, const ratchet::Error&) override {}
  bool isThreadSafe() const noexcept override { return true; }
};

/// A server frame as read off the wire.
struct Frame {
  bool fin = false;
  std::uint8_t opcode = 0xFF;
  bool masked = false;
  std::string payload;
};

/// A RawClient with a receive buffer, so that an HTTP head, a body and WebSocket frames can be
/// read one after the other whatever the segmentation. Every read is bounded by the socket
/// timeout of test::RawClient.
class Peer : public test::BufferedPeer {
 public:
  explicit Peer(std::uint16_t port) : BufferedPeer(port) {}

  /// Disables Nagle so that small writes leave as separate segments.
  void noDelay() { raw_.socket().set_option(test::tcp::no_delay(true)); }

  /// The response head up to and including the blank line; nullopt when the connection ended
  /// (or timed out) first.
  std::optional<std::string> readHead() {
    for (int i = 0; i < 10000; ++i) {
      const auto end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::string head = buf_.substr(0, end + 4);
        buf_.erase(0, end + 4);
        return head;
      }
      if (buf_.size() > 64 * 1024 || !fill()) return std::nullopt;
    }
    return std::nullopt;
  }

  /// The next server frame; nullopt when the connection ended (or timed out) first.
  std::optional<Frame> readFrame() {
    auto h = readBytes(2);
    if (!h) return std::nullopt;
    Frame f;
    const auto b0 = static_cast<unsigned char>((*h)[0]);
    const auto b1 = static_cast<unsigned char>((*h)[1]);
    f.fin = (b0 & 0x80) != 0;
    f.opcode = b0 & 0x0F;
    f.masked = (b1 & 0x80) != 0;
    std::uint64_t len = b1 & 0x7F;
    if (len >= 126) {
      auto ext = readBytes(len == 126 ? 2 : 8);
      if (!ext) return std::nullopt;
      len = 0;
      for (char c : *ext) len = (len << 8) | static_cast<unsigned char>(c);
    }
    if (f.masked && !readBytes(4)) return std::nullopt;
    auto payload = readBytes(static_cast<std::size_t>(len));
    if (!payload) return std::nullopt;
    f.payload = std::move(*payload);
    return f;
  }
};

/// A parsed HTTP response.
struct Response {
  int status = 0;  // 0: no response came
  std::string head;
  std::string body;
  bool closed = false;  // the server closed the connection after the response
  std::string reply;    // for a 101: the reply to the probe message

  /// The value of the first header `name` (case-insensitive), trimmed; nullopt when absent.
  std::optional<std::string> header(std::string_view name) const {
    std::string_view rest(head);
    const auto firstEnd = rest.find("\r\n");
    if (firstEnd == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(firstEnd + 2);
    while (!rest.empty()) {
      const auto end = rest.find("\r\n");
      const auto line = rest.substr(0, end);
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 2);
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      if (iequals(trim(line.substr(0, colon)), name))
        return std::string(trim(line.substr(colon + 1)));
    }
    return std::nullopt;
  }
};

/// Reads a response head and, unless it is a 101, its Content-Length body.
Response readResponse(Peer& peer) {
  Response r;
  auto head = peer.readHead();
  if (!head || !head->starts_with("HTTP/1.1 ") || head->size() < 12) return r;
  r.head = std::move(*head);
  r.status = std::stoi(r.head.substr(9, 3));
  if (r.status != 101) {
    if (auto length = r.header("Content-Length")) {
      if (auto body = peer.readBytes(std::stoul(*length))) r.body = std::move(*body);
    }
  }
  return r;
}

/// A masked text frame of `text`.
std::string textFrame(std::string_view text) {
  return test::clientFrame(0x1, text);
}

/// After a 101: sends `probe` as a text message and returns the text the server replies with
/// (empty and a failed check when something else came).
std::string probeReply(Peer& peer, std::string_view probe) {
  peer.write(textFrame(probe));
  auto f = peer.readFrame();
  REQUIRE(f.has_value());
  CHECK(f->fin);
  CHECK(f->opcode == 0x1);
  CHECK_FALSE(f->masked);
  return f->payload;
}

/// A request built from parts, by default a valid WebSocket upgrade of /echo.
struct RequestSpec {
  std::string requestLine = "GET /echo HTTP/1.1";
  std::vector<std::pair<std::string, std::string>> headers{
      {"Host", "127.0.0.1"},
      {"Upgrade", "websocket"},
      {"Connection", "Upgrade"},
      {"Sec-WebSocket-Key", std::string(kSampleKey)},
      {"Sec-WebSocket-Version", "13"}};
  std::string body;

  RequestSpec& line(std::string l) { return requestLine = std::move(l), *this; }
  /// Replaces the first header `name`, or adds it.
  RequestSpec& set(const std::string& name, std::string value) {
    for (auto& [n, v] : headers)
      if (iequals(n, name)) return v = std::move(value), *this;
    headers.emplace_back(name, std::move(value));
    return *this;
  }
  /// Adds a header even if one of that name exists.
  RequestSpec& add(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  RequestSpec& erase(std::string_view name) {
    std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
    return *this;
  }
  RequestSpec& withBody(std::string b) {
    body = std::move(b);
    return set("Content-Length", std::to_string(body.size()));
  }
  std::string str() const {
    std::string s = requestLine + "\r\n";
    for (const auto& [n, v] : headers) s += n + ": " + v + "\r\n";
    return s + "\r\n" + body;
  }
};

/// Sends `request` on a new connection and reads the response. A 101 is probed with one
/// text message (the reply lands in Response::reply); any other status must be followed by
/// the server closing the connection (Response::closed).
Response exchange(std::uint16_t port, std::string_view request, std::string_view probe = "probe") {
  Peer peer(port);
  peer.write(request);
  auto r = readResponse(peer);
  if (r.status == 101)
    r.reply = probeReply(peer, probe);
  else if (r.status != 0)
    r.closed = peer.closedByPeer();
  return r;
}
Response exchange(std::uint16_t port, const RequestSpec& request,
                  std::string_view probe = "probe") {
  return exchange(port, request.str(), probe);
}

/// Checks an error response: status, Connection: close, and the server closing the TCP
/// connection after it.
void checkRefused(const Response& r, int status) {
  INFO("response head:\n" << r.head << "body: " << r.body);
  CHECK(r.status == status);
  if (r.status != status) return;  // the checks below would only repeat the news
  CHECK(r.header("Connection") == std::optional<std::string>("close"));
  CHECK(r.header("Content-Length") == std::optional<std::string>(std::to_string(r.body.size())));
  CHECK(r.closed);
}

/// Checks a successful upgrade of an echo route: 101, the handshake headers and an echo.
void checkUpgraded(const Response& r) {
  INFO("response head:\n" << r.head);
  CHECK(r.status == 101);
  CHECK(r.header("Upgrade").has_value());
  if (auto u = r.header("Upgrade")) CHECK(iequals(*u, "websocket"));
  CHECK(r.header("Sec-WebSocket-Accept") == std::optional<std::string>(kSampleAccept));
  CHECK(r.reply == "probe");
}

/// The server still serves: a Beast client upgrades /echo and gets its message back.
void checkStillServes(std::uint16_t port, std::string_view target = "/echo") {
  test::WsClient c(port, std::string(target));
  c.send("still serving");
  CHECK(c.read() == "still serving");
  c.close();
}

/// Two round trips through a server that runs one I/O thread: by the time they complete,
/// the server has read whatever was written to its other connections before (the read
/// handler of that data was queued before the second message's), so the next write arrives
/// in a read of its own. A barrier through the server, not a sleep.
void paceThrough(test::WsClient& pace) {
  for (int i = 0; i < 2; ++i) {
    pace.send("pace");
    REQUIRE(pace.read() == "pace");
  }
}

void echoRoute(ratchet::App& app) {
  app.route("/echo", std::make_shared<ratchet::EchoServer>());
}

}  // namespace

TEST_CASE("http: an unknown path gets 404") {
  test::Running<TestApp> app(echoRoute);
  checkRefused(exchange(app.port(), RequestSpec().line("GET /nope HTTP/1.1")), 404);
  checkRefused(exchange(app.port(), RequestSpec().line("GET /echo/deeper HTTP/1.1")), 404);
  checkRefused(exchange(app.port(), RequestSpec().line("GET /ech HTTP/1.1")), 404);
  // A plain HTTP client sees the same.
  test::http::request<test::http::string_body> req(test::http::verb::get, "/missing", 11);
  const auto res = test::httpRequest(app.port(), req);
  CHECK(res.result_int() == 404);
  checkStillServes(app.port());
}

TEST_CASE("http: path matching ignores the query string, which the connection exposes") {
  test::Running<TestApp> app([](ratchet::App& a) {
    echoRoute(a);
    a.route("/query", std::make_shared<QueryReply>());
  });
  checkUpgraded(exchange(app.port(), RequestSpec().line("GET /echo?x=1 HTTP/1.1")));

  test::WsClient q(app.port(), "/query?room=1&name=a%20b");
  q.send("which query?");
  CHECK(q.read() == "room=1&name=a%20b");
  q.close();

  test::WsClient none(app.port(), "/query");
  none.send("which query?");
  CHECK(none.read() == "");
  none.close();

  // A query cannot turn an unknown path into a known one.
  checkRefused(exchange(app.port(), RequestSpec().line("GET /nope?/echo HTTP/1.1")), 404);
  checkStillServes(app.port());
}

TEST_CASE("http: a method other than GET on a WebSocket route gets 405 with Allow: GET") {
  test::Running<TestApp> app(echoRoute);
  for (const std::string method : {"POST", "PUT"}) {
    CAPTURE(method);
    // With the upgrade headers and a body...
    auto r = exchange(app.port(), RequestSpec().line(method + " /echo HTTP/1.1").withBody("x=1"));
    checkRefused(r, 405);
    CHECK(r.header("Allow") == std::optional<std::string>("GET"));
    // ... and as a plain HTTP request.
    test::http::request<test::http::string_body> req(
        method == "POST" ? test::http::verb::post : test::http::verb::put, "/echo", 11);
    req.body() = "payload";
    const auto res = test::httpRequest(app.port(), req);
    CHECK(res.result_int() == 405);
    CHECK(res[test::http::field::allow] == "GET");
  }
  checkStillServes(app.port());
}

TEST_CASE("http: a plain GET on a WebSocket route gets 426 with Upgrade: websocket") {
  test::Running<TestApp> app(echoRoute);
  test::http::request<test::http::string_body> req(test::http::verb::get, "/echo", 11);
  const auto res = test::httpRequest(app.port(), req);
  CHECK(res.result_int() == 426);
  CHECK(res[test::http::field::upgrade] == "websocket");
  CHECK(res[test::http::field::connection] == "close");

  auto r = exchange(app.port(), RequestSpec().erase("Upgrade").erase("Connection"));
  checkRefused(r, 426);
  CHECK(r.header("Upgrade") == std::optional<std::string>("websocket"));
  checkStillServes(app.port());
}

TEST_CASE("http: Sec-WebSocket-Version other than 13 gets 426 advertising 13") {
  test::Running<TestApp> app(echoRoute);
  SUBCASE("version 8") {
    auto r = exchange(app.port(), RequestSpec().set("Sec-WebSocket-Version", "8"));
    checkRefused(r, 426);
    CHECK(r.header("Sec-WebSocket-Version") == std::optional<std::string>("13"));
  }
  SUBCASE("version missing") {
    auto r = exchange(app.port(), RequestSpec().erase("Sec-WebSocket-Version"));
    checkRefused(r, 426);
    CHECK(r.header("Sec-WebSocket-Version") == std::optional<std::string>("13"));
  }
  checkStillServes(app.port());
}

TEST_CASE("http: a missing or invalid Sec-WebSocket-Key gets 400") {
  test::Running<TestApp> app(echoRoute);
  checkRefused(exchange(app.port(), RequestSpec().erase("Sec-WebSocket-Key")), 400);
  const std::pair<const char*, std::string> bad[] = {
      {"too short (base64 of 10 bytes)", "dGhlIHNhbXBsZQ=="},
      {"24 chars with characters outside base64", "dGhlIHNhbXBsZSBub25j!Q=="},
      {"22 chars without padding", "dGhlIHNhbXBsZSBub25jZQ"},
      {"empty", ""},
  };
  for (const auto& [what, key] : bad) {
    INFO("case: " << std::string(what));
    checkRefused(exchange(app.port(), RequestSpec().set("Sec-WebSocket-Key", key)), 400);
  }
  checkStillServes(app.port());
}

TEST_CASE("http: an upgrade without Connection: upgrade gets 400") {
  test::Running<TestApp> app(echoRoute);
  checkRefused(exchange(app.port(), RequestSpec().erase("Connection")), 400);
  checkRefused(exchange(app.port(), RequestSpec().set("Connection", "keep-alive")), 400);
  checkStillServes(app.port());
}

TEST_CASE("http: the 101 carries the RFC 6455 Sec-WebSocket-Accept") {
  test::Running<TestApp> app(echoRoute);
  auto r = exchange(app.port(), RequestSpec());
  checkUpgraded(r);
  CHECK(r.head.starts_with("HTTP/1.1 101 "));
  CHECK(r.header("Sec-WebSocket-Accept") == std::optional<std::string>(kSampleAccept));
  if (auto c = r.header("Connection")) CHECK(iequals(*c, "upgrade"));
  CHECK(r.header("Connection").has_value());
  CHECK_FALSE(r.header("Sec-WebSocket-Protocol").has_value());
  checkStillServes(app.port());
}

TEST_CASE("http: Upgrade and Connection tokens are case-insensitive comma lists") {
  test::Running<TestApp> app(echoRoute);
  checkUpgraded(exchange(app.port(), RequestSpec().set("Connection", "keep-alive, Upgrade")));
  checkUpgraded(exchange(app.port(), RequestSpec().erase("Upgrade").add("upgrade", "WebSocket")));
  checkUpgraded(exchange(app.port(), RequestSpec().set("Connection", "UPGRADE")));
  checkUpgraded(
      exchange(app.port(),
               RequestSpec().set("Connection", "keep-alive,upgrade").set("Upgrade", "WEBSOCKET")));
  checkStillServes(app.port());
}

TEST_CASE("http: an HTTP/1.0 upgrade attempt gets 400") {
  test::Running<TestApp> app(echoRoute);
  checkRefused(exchange(app.port(), RequestSpec().line("GET /echo HTTP/1.0")), 400);
  checkStillServes(app.port());
}

TEST_CASE("http: Host must appear exactly once in HTTP/1.1") {
  test::Running<TestApp> app(echoRoute);
  SUBCASE("duplicate Host") {
    checkRefused(exchange(app.port(), RequestSpec().add("Host", "127.0.0.1")), 400);
    checkRefused(exchange(app.port(), RequestSpec().add("Host", "other.example")), 400);
  }
  SUBCASE("no Host") {
    checkRefused(exchange(app.port(), RequestSpec().erase("Host")), 400);
  }
  checkStillServes(app.port());
}

TEST_CASE("http: a garbage request line gets 400") {
  test::Running<TestApp> app(echoRoute);
  const std::pair<const char*, std::string> garbage[] = {
      {"words", "this is not http\r\n\r\n"},
      {"method only", "GET\r\n\r\n"},
      {"bad version", "GET /echo HTTX/1.1\r\nHost: 127.0.0.1\r\n\r\n"},
      {"binary (a TLS ClientHello)",
       std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + "\r\n\r\n"},
  };
  for (const auto& [what, bytes] : garbage) {
    INFO("case: " << std::string(what));
    checkRefused(exchange(app.port(), bytes), 400);
  }
  checkStillServes(app.port());
}

TEST_CASE("http: default allowed origin is the App's host") {
  test::Running<TestApp> app(echoRoute);  // App("localhost", ...)
  auto evil = exchange(app.port(), RequestSpec().set("Origin", "http://evil.example"));
  checkRefused(evil, 403);
  checkRefused(exchange(app.port(), RequestSpec().set("Origin", "null")), 403);
  checkRefused(exchange(app.port(), RequestSpec().set("Origin", "http://localhost.evil.example")),
               403);
  checkUpgraded(exchange(app.port(), RequestSpec().set("Origin", "http://localhost:1234")));
  checkUpgraded(exchange(app.port(), RequestSpec().set("Origin", "https://localhost")));
  checkUpgraded(exchange(app.port(), RequestSpec()));  // no Origin: not a browser

  // A Beast client with the allowed Origin header upgrades; one with another is refused.
  {
    test::WsClient c(app.port(), "/echo", [](test::websocket::request_type& req) {
      req.set(test::http::field::origin, "http://localhost:1234");
    });
    c.send("from localhost");
    CHECK(c.read() == "from localhost");
    c.close();
  }
  CHECK_THROWS(test::WsClient(app.port(), "/echo", [](test::websocket::request_type& req) {
    req.set(test::http::field::origin, "http://evil.example");
  }));
  checkStillServes(app.port());
}

TEST_CASE("http: a route allowing {\"*\"} accepts any origin") {
  test::Running<TestApp> app(
      [](ratchet::App& a) { a.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"}); });
  checkUpgraded(exchange(app.port(), RequestSpec().set("Origin", "http://evil.example")));
  checkUpgraded(exchange(app.port(), RequestSpec().set("Origin", "null")));
  checkUpgraded(exchange(app.port(), RequestSpec().set("Origin", "https://localhost:8443")));
  checkUpgraded(exchange(app.port(), RequestSpec()));
  checkStillServes(app.port());
}

TEST_CASE("http: a full-origin entry allows exactly that origin") {
  test::Running<TestApp> app([](ratchet::App& a) {
    a.route("/echo", std::make_shared<ratchet::EchoServer>(), {"https://app.example:8443"});
  });
  checkUpgraded(exchange(app.port(), RequestSpec().set("Origin", "https://app.example:8443")));
  checkRefused(exchange(app.port(), RequestSpec().set("Origin", "https://app.example")), 403);
  checkRefused(exchange(app.port(), RequestSpec().set("Origin", "http://app.example:8443")), 403);
  checkRefused(exchange(app.port(), RequestSpec().set("Origin", "https://app.example:8444")), 403);
  checkRefused(exchange(app.port(), RequestSpec().set("Origin", "http://localhost")), 403);
  checkStillServes(app.port());
}

TEST_CASE("http: a host-restricted route only matches its Host") {
  test::Running<TestApp> app([](ratchet::App& a) {
    a.route("/api", std::make_shared<ratchet::EchoServer>(), {"*"}, "api.example");
    echoRoute(a);
  });
  const auto api = [](std::string host) {
    return RequestSpec().line("GET /api HTTP/1.1").set("Host", std::move(host));
  };
  checkUpgraded(exchange(app.port(), api("api.example:8080")));
  checkUpgraded(exchange(app.port(), api("api.example")));
  checkUpgraded(exchange(app.port(), api("API.Example")));
  checkRefused(exchange(app.port(), api("other.example")), 404);
  checkRefused(exchange(app.port(), api("other.example:8080")), 404);
  checkRefused(exchange(app.port(), api("127.0.0.1")), 404);
  checkStillServes(app.port());
}

TEST_CASE("http: a header over HttpOptions::maxHeaderBytes gets 431") {
  SUBCASE("default limit, 8 KiB") {
    test::Running<TestApp> app(echoRoute);
    CHECK(ratchet::HttpOptions{}.maxHeaderBytes == 8 * 1024);
    auto r = exchange(app.port(), RequestSpec().set("X-Filler", std::string(9 * 1024, 'a')));
    checkRefused(r, 431);
    // Just under the limit is fine.
    checkUpgraded(exchange(app.port(), RequestSpec().set("X-Filler", std::string(7 * 1024, 'a'))));
    checkStillServes(app.port());
  }
  SUBCASE("custom limit, 1 KiB") {
    auto options = test::testOptions();
    options.http.maxHeaderBytes = 1024;
    test::Running<TestApp> app(echoRoute, options);
    checkRefused(exchange(app.port(), RequestSpec().set("X-Filler", std::string(1500, 'a'))), 431);
    checkRefused(exchange(app.port(), RequestSpec().set("X-Filler", std::string(9 * 1024, 'a'))),
                 431);
    checkUpgraded(exchange(app.port(), RequestSpec().set("X-Filler", std::string(500, 'a'))));
    checkStillServes(app.port());
  }
  SUBCASE("a header that never ends, arriving line by line") {
    // One I/O thread, so that a round trip on another connection paces the lines: the server
    // has read each line before the next is sent, and sees the header in reads far below
    // the limit. A long handshake timeout, so that a 408 cannot stand in for the 431.
    auto options = test::testOptions(1);
    options.http.handshakeTimeout = std::chrono::minutes(1);
    test::Running<TestApp> app(echoRoute, options);
    test::WsClient pace(app.port());
    Peer peer(app.port());
    peer.noDelay();
    std::string head = RequestSpec().str();
    head.resize(head.size() - 2);  // no blank line: the header never ends
    peer.write(head);
    for (int i = 0; i < 16; ++i) {  // 16 KiB in all, twice the limit
      try {
        peer.write("X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'a') + "\r\n");
      } catch (const std::exception& e) {
        MESSAGE("write " << i << " failed (server closed?): " << e.what());
        break;
      }
      paceThrough(pace);
    }
    auto r = readResponse(peer);
    r.closed = r.status != 0 && peer.closedByPeer();
    checkRefused(r, 431);
    pace.close();
    checkStillServes(app.port());
  }
  SUBCASE("a complete header over the limit, arriving in two reads") {
    // 12 KiB of header: 6 KiB of lines in one read, the other 6 KiB and the blank line in the
    // next. The limit is on the whole header, not on what one read holds.
    auto options = test::testOptions(1);
    test::Running<TestApp> app(echoRoute, options);
    test::WsClient pace(app.port());
    std::string first = RequestSpec().str(), second;
    first.resize(first.size() - 2);  // without the blank line
    for (int i = 0; i < 12; ++i)
      (i < 6 ? first : second) +=
          "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'a') + "\r\n";
    second += "\r\n";
    // In one write it is refused...
    checkRefused(exchange(app.port(), first + second), 431);
    // ... and in two reads it must be too.
    Peer peer(app.port());
    peer.write(first);
    paceThrough(pace);
    peer.write(second);
    auto r = readResponse(peer);
    if (r.status != 0 && r.status != 101) r.closed = peer.closedByPeer();
    checkRefused(r, 431);
    pace.close();
    checkStillServes(app.port());
  }
}

TEST_CASE("http: a body over HttpOptions::maxBodyBytes gets 413") {
  SUBCASE("default limit, 1 MiB, announced by Content-Length") {
    test::Running<TestApp> app(echoRoute);
    CHECK(ratchet::HttpOptions{}.maxBodyBytes == 1024 * 1024);
    // Only the header is sent: the announced length alone is over the limit.
    auto r = exchange(app.port(),
                      RequestSpec().line("POST /echo HTTP/1.1").set("Content-Length", "2000000"));
    checkRefused(r, 413);
    checkStillServes(app.port());
  }
  SUBCASE("custom limit, 100 bytes") {
    auto options = test::testOptions();
    options.http.maxBodyBytes = 100;
    test::Running<TestApp> app(echoRoute, options);
    checkRefused(
        exchange(app.port(),
                 RequestSpec().line("POST /echo HTTP/1.1").withBody(std::string(101, 'b'))),
        413);
    // Within the limit the request is complete, and the method is what is wrong with it.
    auto ok = exchange(app.port(),
                       RequestSpec().line("POST /echo HTTP/1.1").withBody(std::string(100, 'b')));
    checkRefused(ok, 405);
    CHECK(ok.header("Allow") == std::optional<std::string>("GET"));
    checkStillServes(app.port());
  }
}

TEST_CASE("http: an incomplete request gets 408 and is closed after handshakeTimeout") {
  auto options = test::testOptions();
  options.http.handshakeTimeout = 300ms;
  test::Running<TestApp> app(echoRoute, options);

  // Upgraded before the slow client connects: its handshake timer must have been cancelled,
  // and it is checked again once the slow client's timer (set later) has fired.
  Peer early(app.port());
  early.write(RequestSpec().str());
  CHECK(readResponse(early).status == 101);

  const auto start = std::chrono::steady_clock::now();
  Peer slow(app.port());
  slow.write("GET /ec");
  auto r = readResponse(slow);
  if (r.status != 0) {
    // Either a 408 arrives, or (acceptable) the connection just ends.
    INFO("response head:\n" << r.head);
    CHECK(r.status == 408);
    CHECK(r.header("Connection") == std::optional<std::string>("close"));
  }
  CHECK(slow.closedByPeer());  // the server ended the connection; the client did not time out
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= 300ms);
  CHECK(elapsed < test::kTimeout / 2);

  CHECK(probeReply(early, "after the timeout") == "after the timeout");
  checkStillServes(app.port());
}

TEST_CASE("http: a request split into 1-byte writes still upgrades") {
  test::Running<TestApp> app(echoRoute);
  Peer peer(app.port());
  peer.noDelay();
  const auto request = RequestSpec().line("GET /echo?split=1 HTTP/1.1").str();
  for (char c : request) peer.write(std::string_view(&c, 1));
  auto r = readResponse(peer);
  CHECK(r.status == 101);
  CHECK(r.header("Sec-WebSocket-Accept") == std::optional<std::string>(kSampleAccept));
  CHECK(probeReply(peer, "after a slow request") == "after a slow request");
  checkStillServes(app.port());
}

TEST_CASE("http: a request and the first WebSocket frame in one write") {
  test::Running<TestApp> app(echoRoute);
  Peer peer(app.port());
  peer.write(RequestSpec().str() + textFrame("early bird"));
  auto r = readResponse(peer);
  CHECK(r.status == 101);
  CHECK(r.header("Sec-WebSocket-Accept") == std::optional<std::string>(kSampleAccept));
  auto f = peer.readFrame();
  REQUIRE(f.has_value());
  CHECK(f->opcode == 0x1);
  CHECK(f->payload == "early bird");
  // Two frames right behind the request work as well.
  Peer two(app.port());
  two.write(RequestSpec().str() + textFrame("one") +
            test::clientFrame(0x2, std::string("t\0o", 3)));
  CHECK(readResponse(two).status == 101);
  auto f1 = two.readFrame();
  auto f2 = two.readFrame();
  REQUIRE(f1.has_value());
  REQUIRE(f2.has_value());
  CHECK(f1->opcode == 0x1);
  CHECK(f1->payload == "one");
  CHECK(f2->opcode == 0x2);
  CHECK(f2->payload == std::string("t\0o", 3));
  checkStillServes(app.port());
}

TEST_CASE("http: subprotocol negotiation picks the first one the client offers") {
  const auto chat = [](ratchet::App& a) {
    a.route("/chat", std::make_shared<ChatProtocols>());
    echoRoute(a);
  };
  const auto offer = [](std::string protocols) {
    return RequestSpec()
        .line("GET /chat HTTP/1.1")
        .set("Sec-WebSocket-Protocol", std::move(protocols));
  };

  SUBCASE("lenient (default)") {
    test::Running<TestApp> app(chat);
    // Beast as the client: it checks the answer against its offer.
    test::WsClient c(app.port(), "/chat", [](test::websocket::request_type& req) {
      req.set(test::http::field::sec_websocket_protocol, "v1.chat, v2.chat");
    });
    CHECK(c.response()[test::http::field::sec_websocket_protocol] == "v1.chat");
    c.send("which?");
    CHECK(c.read() == "[v1.chat]");
    c.close();

    auto v1 = exchange(app.port(), offer("v1.chat, v2.chat"));
    CHECK(v1.status == 101);
    CHECK(v1.header("Sec-WebSocket-Protocol") == std::optional<std::string>("v1.chat"));
    CHECK(v1.reply == "[v1.chat]");

    auto v2 = exchange(app.port(), offer("other, v2.chat,v1.chat"));
    CHECK(v2.status == 101);
    CHECK(v2.header("Sec-WebSocket-Protocol") == std::optional<std::string>("v2.chat"));
    CHECK(v2.reply == "[v2.chat]");

    // Offers in separate header lines count in order too.
    auto lines = exchange(app.port(), offer("other").add("Sec-WebSocket-Protocol", "v1.chat"));
    CHECK(lines.status == 101);
    CHECK(lines.header("Sec-WebSocket-Protocol") == std::optional<std::string>("v1.chat"));
    CHECK(lines.reply == "[v1.chat]");

    auto other = exchange(app.port(), offer("other"));
    INFO("response head:\n" << other.head);
    CHECK(other.status == 101);
    CHECK_FALSE(other.header("Sec-WebSocket-Protocol").has_value());
    CHECK(other.reply == "[]");

    auto none = exchange(app.port(), RequestSpec().line("GET /chat HTTP/1.1"));
    CHECK(none.status == 101);
    CHECK_FALSE(none.header("Sec-WebSocket-Protocol").has_value());
    CHECK(none.reply == "[]");

    // Names are case-sensitive.
    auto upper = exchange(app.port(), offer("V1.CHAT"));
    CHECK(upper.status == 101);
    CHECK_FALSE(upper.header("Sec-WebSocket-Protocol").has_value());
    checkStillServes(app.port());
  }

  SUBCASE("strictSubprotocols") {
    auto options = test::testOptions();
    options.ws.strictSubprotocols = true;
    test::Running<TestApp> app(chat, options);
    checkRefused(exchange(app.port(), offer("other")), 400);
    auto v2 = exchange(app.port(), offer("other, v2.chat"));
    CHECK(v2.status == 101);
    CHECK(v2.header("Sec-WebSocket-Protocol") == std::optional<std::string>("v2.chat"));
    CHECK(v2.reply == "[v2.chat]");
    // A client that offers nothing is not refused.
    auto none = exchange(app.port(), RequestSpec().line("GET /chat HTTP/1.1"));
    CHECK(none.status == 101);
    CHECK(none.reply == "[]");
    checkStillServes(app.port());
  }
}
