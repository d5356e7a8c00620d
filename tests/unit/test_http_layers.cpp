// HttpServer, Router and OriginCheck over MemoryTransport: no socket, virtual time.
#include "memory_test_support.hpp"

#include <doctest/doctest.h>

#include <map>
#include <stdexcept>

using namespace memtest;
using namespace std::chrono_literals;
using ratchet::Duration;
using ratchet::HttpOptions;
using ratchet::HttpResponse;
using ratchet::Request;

namespace {

// "/hello" → "hi\n"; "/echo" → the request's body; "/throw" throws.
std::shared_ptr<ratchet::Router> helloRouter() {
  auto router = std::make_shared<ratchet::Router>();
  router->add("/hello", std::make_shared<ratchet::HttpHandler>(
                            [](const Request&) { return HttpResponse::text("hi\n"); }));
  router->add("/echo", std::make_shared<ratchet::HttpHandler>([](const Request& r) {
                return HttpResponse::text(std::string(r.body()));
              }));
  router->add("/throw", std::make_shared<ratchet::HttpHandler>([](const Request&) -> HttpResponse {
                throw std::runtime_error("boom");
              }));
  return router;
}

std::shared_ptr<MemoryTransport> helloConnection(HttpOptions options = {}) {
  return MemoryTransport::open(std::make_shared<ratchet::HttpServer>(helloRouter(), options));
}

constexpr std::string_view kHelloResponse =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
    "Connection: keep-alive\r\n\r\nhi\n";

// The response the framework writes when it refuses a request itself.
std::string refusal(int status, std::string_view reason, std::string_view body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + std::string(body);
}

// A GET of exactly `total` bytes (request line and headers), padded with an X-Pad header.
std::string requestOfSize(std::size_t total) {
  const std::string head = "GET /hello HTTP/1.1\r\nHost: x\r\nX-Pad: ";
  const std::string tail = "\r\n\r\n";
  return head + std::string(total - head.size() - tail.size(), 'p') + tail;
}

}  // namespace

// ---- HttpServer ----------------------------------------------------------------------------

TEST_CASE("http: a request split byte by byte is answered once, at its last byte") {
  auto t = helloConnection();
  const std::string request = get("/hello");
  for (std::size_t i = 0; i + 1 < request.size(); ++i) {
    t->feed(request.substr(i, 1));
    REQUIRE(t->written().empty());
  }
  t->feed(request.substr(request.size() - 1));
  CHECK(t->take() == kHelloResponse);
  CHECK_FALSE(t->finishing());
}

TEST_CASE("http: pipelined requests are answered in order, each by its own route") {
  auto t = helloConnection();
  t->feed(get("/hello") + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nworld" +
          get("/nope") + get("/hello"));
  const std::string out = t->take();
  const std::string echo =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n"
      "Connection: keep-alive\r\n\r\nworld";
  const std::string notFound =
      "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n"
      "Connection: keep-alive\r\n\r\nNot found\n";
  CHECK(out == std::string(kHelloResponse) + echo + notFound + std::string(kHelloResponse));
  CHECK_FALSE(t->finishing());
}

TEST_CASE("http: a pipelined request waits until the one before it is answered") {
  auto app = std::make_shared<RecordingHttp>("r", /*answer=*/false);
  auto t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(app));
  t->feed(get("/a") + get("/b"));
  REQUIRE(app->events == std::vector<std::string>{"open GET /a"});
  CHECK(t->written().empty());
  app->answer(app->conns[0]);
  CHECK(t->take() ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n"
        "Connection: keep-alive\r\n\r\nr /a\n");
  t->poll();  // the answer's hand-back is posted
  CHECK(app->events == std::vector<std::string>{"open GET /a", "close /a", "open GET /b"});
  app->answer(app->conns[1]);
  t->poll();
  CHECK(t->take().ends_with("\r\n\r\nr /b\n"));
  CHECK(app->events.back() == "close /b");
}

TEST_CASE(
    "http: a plain component sees onOpen and onClose once per request, each its own "
    "connection") {
  auto app = std::make_shared<RecordingHttp>();
  auto t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(app));
  t->feed(get("/a?x=1"));
  t->feed(get("/b", "X-Test: yes\r\n"));
  CHECK(app->events ==
        std::vector<std::string>{"open GET /a?x=1", "close /a?x=1", "open GET /b", "close /b"});
  REQUIRE(app->conns.size() == 2);
  CHECK(app->conns[0] != app->conns[1]);
  CHECK(app->closed == app->conns);
  CHECK(app->conns[0]->request().target() == "/a?x=1");
  CHECK(app->conns[0]->request().queryParam("x") == "1");
  CHECK(&app->conns[0]->request() == app->requests[0].get());
  CHECK(app->conns[1]->request().header("x-test") == "yes");
  CHECK(app->conns[0]->remoteAddress() == "127.0.0.1");
  CHECK_FALSE(app->conns[0]->isOpen());  // answered
  // The transport ending reports nothing more: both requests are over.
  t->peerCloses();
  CHECK(app->events.size() == 4);
}

TEST_CASE("http: a request still being answered when the peer leaves gets onClose once") {
  auto app = std::make_shared<RecordingHttp>("r", /*answer=*/false);
  auto t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(app));
  t->feed(get("/slow"));
  REQUIRE(app->conns.size() == 1);
  CHECK(app->conns[0]->isOpen());
  t->peerCloses();
  CHECK(app->events == std::vector<std::string>{"open GET /slow", "close /slow"});
  CHECK_FALSE(app->conns[0]->isOpen());
  app->answer(app->conns[0]);  // too late: nothing happens, and no second onClose
  t->poll();
  CHECK(t->written().empty());
  CHECK(app->events.size() == 2);
}

TEST_CASE("http: Connection: close in the request closes after the response") {
  auto t = helloConnection();
  t->feed(get("/hello", "Connection: close\r\n"));
  const auto out = t->take();
  CHECK(out ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
        "Connection: close\r\n\r\nhi\n");
  CHECK(t->finishing());
  CHECK(t->writesEnded());
  // A request that follows is not read.
  t->feed(get("/hello"));
  CHECK(t->written().empty());
}

TEST_CASE("http: a response with Connection: close closes a keep-alive connection") {
  auto router = std::make_shared<ratchet::Router>();
  router->add("/bye", std::make_shared<ratchet::HttpHandler>([](const Request&) {
                return HttpResponse::text("bye\n").header("Connection", "close");
              }));
  auto t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(router));
  t->feed(get("/bye"));
  const auto out = t->take();
  CHECK(count(out, "Connection:") == 1);
  CHECK(out.find("\r\nConnection: close\r\n") != std::string::npos);
  CHECK(t->finishing());
}

TEST_CASE("http: HEAD gets the headers, with the body's length, and no body") {
  auto t = helloConnection();
  t->feed("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(t->take() ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
        "Connection: keep-alive\r\n\r\n");
  CHECK_FALSE(t->finishing());
  t->feed(get("/hello"));  // the connection is still in step
  CHECK(t->take() == kHelloResponse);
}

TEST_CASE("http: HTTP/1.0 closes after the response, even when it asks for keep-alive") {
  for (std::string extra : {"", "Connection: keep-alive\r\n"}) {
    CAPTURE(extra);
    auto t = helloConnection();
    t->feed("GET /hello HTTP/1.0\r\n" + extra + "\r\n");
    CHECK(t->take() ==
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
          "Connection: close\r\n\r\nhi\n");
    CHECK(t->finishing());
    CHECK(t->writesEnded());
  }
}

TEST_CASE("http: a malformed request gets 400 and the connection closes") {
  for (std::string bad :
       {std::string("GET /hello HTTP/1.1\r\nHost x\r\n\r\n"),
        std::string("\x01\x02\x03 / HTTP/1.1\r\n\r\n"),
        std::string("GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")}) {
    CAPTURE(bad);
    auto t = helloConnection();
    t->feed(bad);
    const auto out = t->take();
    CHECK(statusLine(out) == "HTTP/1.1 400 Bad Request");
    CHECK(out.find("\r\nConnection: close\r\n\r\nBad request: ") != std::string::npos);
    CHECK(t->finishing());
    CHECK(t->writesEnded());
  }
}

TEST_CASE("http: HTTP/1.1 needs exactly one Host header") {
  for (std::string bad : {std::string("GET /hello HTTP/1.1\r\n\r\n"),
                          std::string("GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")}) {
    CAPTURE(bad);
    auto t = helloConnection();
    t->feed(bad);
    CHECK(t->take() ==
          refusal(400, "Bad Request", "Bad request: exactly one Host header required\n"));
    CHECK(t->finishing());
  }
}

TEST_CASE("http: 431 when the request line and headers pass maxHeaderBytes") {
  HttpOptions options;
  options.maxHeaderBytes = 128;
  const auto tooLarge =
      refusal(431, "Request Header Fields Too Large", "Request header fields too large\n");
  SUBCASE("exactly the limit passes, in one piece or byte by byte") {
    for (bool split : {false, true}) {
      CAPTURE(split);
      auto t = helloConnection(options);
      const auto request = requestOfSize(128);
      if (split)
        for (char c : request) t->feed(std::string_view(&c, 1));
      else
        t->feed(request);
      CHECK(t->take() == kHelloResponse);
    }
  }
  SUBCASE("one byte over fails, in one piece or byte by byte") {
    for (bool split : {false, true}) {
      CAPTURE(split);
      auto t = helloConnection(options);
      const auto request = requestOfSize(129);
      if (split)
        for (char c : request) t->feed(std::string_view(&c, 1));
      else
        t->feed(request);
      CHECK(t->take() == tooLarge);
      CHECK(t->finishing());
    }
  }
  SUBCASE("a header line that never ends fails once it is over the limit") {
    auto t = helloConnection(options);
    t->feed("GET /hello HTTP/1.1\r\nHost: x\r\nX-Long: ");
    CHECK(t->written().empty());
    t->feed(std::string(200, 'a'));
    CHECK(t->take() == tooLarge);
    CHECK(t->finishing());
  }
}

TEST_CASE("http: 413 when the body passes maxBodyBytes") {
  HttpOptions options;
  options.maxBodyBytes = 10;
  const auto tooLarge = refusal(413, "Payload Too Large", "Content too large\n");
  SUBCASE("Content-Length at the limit passes") {
    auto t = helloConnection(options);
    t->feed("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789");
    CHECK(t->take().ends_with("\r\n\r\n0123456789"));
  }
  SUBCASE("Content-Length over the limit fails before the body comes") {
    auto t = helloConnection(options);
    t->feed("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n");
    CHECK(t->take() == tooLarge);
    CHECK(t->finishing());
  }
  SUBCASE("a chunked body over the limit fails") {
    auto t = helloConnection(options);
    t->feed("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n");
    CHECK(t->written().empty());
    t->feed("6\r\n678901\r\n0\r\n\r\n");
    CHECK(t->take() == tooLarge);
    CHECK(t->finishing());
  }
}

TEST_CASE("http: 408 when the request is not whole within handshakeTimeout, counted from accept") {
  HttpOptions options;
  options.handshakeTimeout = 3s;
  auto t = helloConnection(options);
  CHECK(t->timerIn() == Duration(3s));
  t->advance(1s);
  t->feed("GET /hello HTTP/1.1\r\n");  // bytes do not extend the time
  t->advance(1999ms);
  CHECK(t->written().empty());
  CHECK_FALSE(t->finishing());
  t->advance(1ms);
  CHECK(t->take() == refusal(408, "Request Timeout", "Request timeout\n"));
  CHECK(t->finishing());
  CHECK(t->writesEnded());
  // The rest of the request is not read.
  t->feed("Host: x\r\n\r\n");
  CHECK(t->written().empty());
}

TEST_CASE("http: no 408 while the component is answering, however long it takes") {
  auto app = std::make_shared<RecordingHttp>("r", /*answer=*/false);
  HttpOptions options;
  options.handshakeTimeout = 1s;
  options.keepAliveTimeout = 1s;
  auto t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(app, options));
  t->feed(get("/slow"));
  CHECK_FALSE(t->timerIn().has_value());
  for (int i = 0; i < 10; ++i) t->advance(1s);
  CHECK(t->written().empty());
  CHECK_FALSE(t->finishing());
  app->answer(app->conns[0]);
  t->poll();
  CHECK(statusLine(t->take()) == "HTTP/1.1 200 OK");
  CHECK(t->timerIn() == Duration(1s));  // now the keep-alive wait
}

TEST_CASE("http: keep-alive timeout after a response, not while the next request arrives") {
  HttpOptions options;
  options.handshakeTimeout = 10s;
  options.keepAliveTimeout = 5s;
  SUBCASE("idle after a response: closes after keepAliveTimeout, without a response") {
    auto t = helloConnection(options);
    t->advance(2s);
    t->feed(get("/hello"));
    t->take();
    t->advance(4999ms);
    CHECK_FALSE(t->finishing());
    t->advance(1ms);
    CHECK(t->finishing());
    CHECK(t->writesEnded());
    CHECK(t->written().empty());  // no 408: an idle keep-alive connection just closes
  }
  SUBCASE("the first byte of the next request switches to handshakeTimeout") {
    auto t = helloConnection(options);
    t->feed(get("/hello"));
    t->take();
    t->advance(4s);
    t->feed("GE");
    t->advance(2s);  // past the keep-alive timeout
    CHECK_FALSE(t->finishing());
    t->advance(7999ms);
    CHECK_FALSE(t->finishing());
    t->advance(1ms);  // 10 s after the first byte
    CHECK(statusLine(t->take()) == "HTTP/1.1 408 Request Timeout");
    CHECK(t->finishing());
  }
  SUBCASE("a whole next request in time is answered and restarts the wait") {
    auto t = helloConnection(options);
    t->feed(get("/hello"));
    t->advance(4s);
    t->feed(get("/hello"));
    CHECK(t->take() == std::string(kHelloResponse) + std::string(kHelloResponse));
    t->advance(4999ms);
    CHECK_FALSE(t->finishing());
    t->advance(1ms);
    CHECK(t->finishing());
  }
}

TEST_CASE("http: Expect: 100-continue gets 100 Continue once the headers are in") {
  auto t = helloConnection();
  t->feed("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  CHECK(t->take() == "HTTP/1.1 100 Continue\r\n\r\n");
  t->feed("hel");
  CHECK(t->written().empty());  // not twice
  t->feed("lo");
  CHECK(t->take() ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n"
        "Connection: keep-alive\r\n\r\nhello");
}

TEST_CASE("http: no 100 Continue without Expect, nor when the body came with the headers") {
  auto t = helloConnection();
  t->feed("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n");
  CHECK(t->written().empty());
  t->feed("ok");
  CHECK(t->take().ends_with("\r\n\r\nok"));
  t->feed("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok");
  const auto out = t->take();
  CHECK(statusLine(out) == "HTTP/1.1 200 OK");
  CHECK(out.find("100 Continue") == std::string::npos);
}

TEST_CASE("http: pipelined bytes past a whole request of the largest size abort the connection") {
  HttpOptions options;
  options.maxHeaderBytes = 256;
  options.maxBodyBytes = 256;
  auto app = std::make_shared<RecordingHttp>("r", /*answer=*/false);
  auto t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(app, options));
  t->feed(get("/slow") + std::string(300, 'x'));  // held: 300 bytes
  CHECK_FALSE(t->closed());
  t->feed(std::string(212, 'x'));  // 512: at the limit
  CHECK_FALSE(t->closed());
  t->feed("x");  // 513
  CHECK(t->closed());
  CHECK(t->written().empty());
  CHECK(app->events == std::vector<std::string>{"open GET /slow", "close /slow"});
}

TEST_CASE("http: a component that throws gets 500 and the connection closes") {
  auto t = helloConnection();
  {
    QuietLog quiet;
    t->feed(get("/throw"));
  }
  CHECK(t->take() == refusal(500, "Internal Server Error", "Internal server error\n"));
  CHECK(t->finishing());
}

TEST_CASE("http: a server stop closes an idle connection; the peer's end reaches no one twice") {
  auto app = std::make_shared<RecordingHttp>();
  auto t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(app));
  t->feed(get("/a"));
  t->take();
  t->serverStops();
  CHECK(t->finishing());
  CHECK(t->writesEnded());
  t->advance(2s);  // the linger timeout
  CHECK(t->closed());
  CHECK(app->events == std::vector<std::string>{"open GET /a", "close /a"});
}

TEST_CASE("http: a plain HTTP connection is freed once it has ended") {
  std::weak_ptr<MemoryTransport> weak;
  {
    auto t = helloConnection();
    weak = t;
    t->feed(get("/hello"));
    t->peerCloses();
  }
  CHECK(weak.expired());
}

// ---- Router --------------------------------------------------------------------------------

namespace {

struct Routed {
  Routed() {
    for (const char* name : {"exact", "a", "ab", "root", "hosted", "anyhost"})
      routes.emplace(name, std::make_shared<RecordingHttp>(name));
    router = std::make_shared<ratchet::Router>();
    router->add("/a/b", routes["exact"]);
    router->add("/a/*", routes["a"]);
    router->add("/a/b/*", routes["ab"]);
    router->add("/h", routes["hosted"], "api.example.com");
    router->add("/h", routes["anyhost"], "www.example.com");
    t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(router));
  }

  // The body of the answer to GET `target` with `host`: "<route> <target>\n", or the 404.
  std::string body(std::string_view target, std::string_view host = "example.com") {
    t->feed(std::string("GET ") + std::string(target) + " HTTP/1.1\r\nHost: " + std::string(host) +
            "\r\n\r\n");
    const auto out = t->take();
    const auto pos = out.find("\r\n\r\n");
    if (pos == std::string::npos) return "<no response>";
    return statusLine(out).substr(9, 3) + " " + out.substr(pos + 4);
  }

  std::map<std::string, std::shared_ptr<RecordingHttp>> routes;
  std::shared_ptr<ratchet::Router> router;
  std::shared_ptr<MemoryTransport> t;
};

}  // namespace

TEST_CASE("router: exact routes win, then the longest prefix; the query is ignored") {
  Routed r;
  CHECK(r.body("/a/b") == "200 exact /a/b\n");
  CHECK(r.body("/a/b?x=1") == "200 exact /a/b?x=1\n");
  CHECK(r.body("/a/b/c") == "200 ab /a/b/c\n");
  CHECK(r.body("/a/b/") == "200 ab /a/b/\n");
  CHECK(r.body("/a/bc") == "200 a /a/bc\n");  // "/a/b/*" covers only what is below "/a/b"
  CHECK(r.body("/a/x/y") == "200 a /a/x/y\n");
  CHECK(r.body("/a") == "200 a /a\n");  // the prefix itself
  CHECK(r.body("/a?q") == "200 a /a?q\n");
  CHECK(r.body("/ab") == "404 Not found\n");
  CHECK(r.body("/") == "404 Not found\n");
  CHECK(r.body("/A/b") == "404 Not found\n");  // paths are case-sensitive
}

TEST_CASE("router: a route with a host matches only that Host, without its port") {
  Routed r;
  CHECK(r.body("/h", "api.example.com") == "200 hosted /h\n");
  CHECK(r.body("/h", "api.example.com:8080") == "200 hosted /h\n");
  CHECK(r.body("/h", "API.Example.COM") == "200 hosted /h\n");
  CHECK(r.body("/h", "www.example.com") == "200 anyhost /h\n");
  CHECK(r.body("/h", "other.example.com") == "404 Not found\n");
  CHECK(r.body("/a/b", "api.example.com") == "200 exact /a/b\n");  // routes without a host
}

TEST_CASE("router: a route without a host serves every host; IPv6 hosts lose only the port") {
  auto any = std::make_shared<RecordingHttp>("any");
  auto v6 = std::make_shared<RecordingHttp>("v6");
  auto router = std::make_shared<ratchet::Router>();
  router->add("/v6", v6, "[::1]");
  router->add("/*", any);
  auto t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(router));
  t->feed("GET /v6 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
  CHECK(t->take().ends_with("\r\n\r\nv6 /v6\n"));
  t->feed("GET /v6 HTTP/1.1\r\nHost: [::1]\r\n\r\n");
  CHECK(t->take().ends_with("\r\n\r\nv6 /v6\n"));
  t->feed("GET /v6 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  CHECK(t->take().ends_with("\r\n\r\nany /v6\n"));  // "/*" catches everything else
  t->feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(t->take().ends_with("\r\n\r\nany /\n"));
}

TEST_CASE("router: the 404 keeps the connection alive") {
  auto router = std::make_shared<ratchet::Router>();
  auto t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(router));
  t->feed(get("/none"));
  CHECK(
      t->take() ==
      "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n"
      "Connection: keep-alive\r\n\r\nNot found\n");
  CHECK_FALSE(t->finishing());
}

TEST_CASE("router: onClose reaches the route chosen at onOpen, and only it") {
  Routed r;
  CHECK(r.body("/a/b/c") == "200 ab /a/b/c\n");
  CHECK(r.body("/a/b") == "200 exact /a/b\n");
  CHECK(r.routes["ab"]->events == std::vector<std::string>{"open GET /a/b/c", "close /a/b/c"});
  CHECK(r.routes["exact"]->events == std::vector<std::string>{"open GET /a/b", "close /a/b"});
  CHECK(r.routes["a"]->events.empty());
  // A request still open when the connection ends is closed at its own route.
  auto slow = std::make_shared<RecordingHttp>("slow", /*answer=*/false);
  auto other = std::make_shared<RecordingHttp>("other", /*answer=*/false);
  auto router = std::make_shared<ratchet::Router>();
  router->add("/slow/*", slow);
  router->add("/other", other);
  auto t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(router));
  t->feed(get("/slow/1"));
  t->peerCloses();
  CHECK(slow->events == std::vector<std::string>{"open GET /slow/1", "close /slow/1"});
  CHECK(other->events.empty());
}

TEST_CASE("router: add() refuses duplicates and paths without a leading slash") {
  ratchet::Router router;
  auto c = std::make_shared<RecordingHttp>();
  router.add("/x", c);
  router.add("/x/*", c);  // a prefix route is another route
  router.add("/x", c, "example.com");
  CHECK_THROWS_AS(router.add("/x", c), std::invalid_argument);
  CHECK_THROWS_AS(router.add("/x/*", c), std::invalid_argument);
  CHECK_THROWS_AS(router.add("/x", c, "EXAMPLE.com"), std::invalid_argument);
  CHECK_THROWS_AS(router.add("x", c), std::invalid_argument);
  CHECK_THROWS_AS(router.add("", c), std::invalid_argument);
  CHECK_THROWS_AS(router.add("/y", nullptr), std::invalid_argument);
}

// ---- OriginCheck ---------------------------------------------------------------------------

TEST_CASE("origin check: allows() matches hosts, full origins and *") {
  auto c = std::make_shared<RecordingHttp>();
  ratchet::OriginCheck hosts(c, {"example.com", "[::1]"});
  CHECK(hosts.allows("https://example.com"));
  CHECK(hosts.allows("http://example.com:8080"));
  CHECK(hosts.allows("HTTPS://EXAMPLE.COM"));
  CHECK(hosts.allows("http://[::1]:3000"));
  CHECK_FALSE(hosts.allows("https://evil.com"));
  CHECK_FALSE(hosts.allows("https://example.com.evil.com"));
  CHECK_FALSE(hosts.allows("https://sub.example.com"));
  CHECK_FALSE(hosts.allows("null"));
  CHECK_FALSE(hosts.allows("example.com"));  // not an origin
  CHECK_FALSE(hosts.allows(""));

  ratchet::OriginCheck full(c, {"https://example.com:8443"});
  CHECK(full.allows("https://example.com:8443"));
  CHECK(full.allows("HTTPS://Example.com:8443"));
  CHECK_FALSE(full.allows("https://example.com"));
  CHECK_FALSE(full.allows("http://example.com:8443"));
  CHECK_FALSE(full.allows("https://example.com:8444"));

  ratchet::OriginCheck star(c, {"*"});
  CHECK(star.allows("null"));
  CHECK(star.allows("https://anything.test"));

  ratchet::OriginCheck none(c, {});
  CHECK_FALSE(none.allows("https://example.com"));
}

TEST_CASE(
    "origin check: a refused origin gets 403 and the connection closes; the component "
    "sees nothing") {
  auto app = std::make_shared<RecordingHttp>();
  auto t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(
      std::make_shared<ratchet::OriginCheck>(app, std::vector<std::string>{"example.com"})));
  t->feed(get("/x", "Origin: https://evil.com\r\n"));
  CHECK(t->take() == refusal(403, "Forbidden", "Origin not allowed\n"));
  CHECK(t->finishing());
  CHECK(t->writesEnded());
  t->peerCloses();
  CHECK(app->events.empty());
}

TEST_CASE("origin check: an allowed origin, or none, passes through with its onClose") {
  auto app = std::make_shared<RecordingHttp>();
  auto t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(
      std::make_shared<ratchet::OriginCheck>(app, std::vector<std::string>{"example.com"})));
  t->feed(get("/with", "Origin: https://example.com:8443\r\n"));
  CHECK(t->take().ends_with("\r\n\r\nr /with\n"));
  t->feed(get("/without"));
  CHECK(t->take().ends_with("\r\n\r\nr /without\n"));
  CHECK_FALSE(t->finishing());
  CHECK(app->events == std::vector<std::string>{"open GET /with", "close /with",
                                                "open GET /without", "close /without"});
}
