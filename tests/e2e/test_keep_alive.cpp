// HTTP/1.1 keep-alive: plain requests on one connection, routed afresh each time, pipelined,
// closed on request, on idle, and upgraded to WebSocket after plain requests.
#include "e2e/support.hpp"

#include <mutex>

namespace {

namespace http = test::http;
using test::HttpSession;

/// A plain HTTP component that counts its opens and closes: one pair per request.
struct CountingPage : ratchet::HttpServerInterface {
  void onOpen(ratchet::ConnectionPtr conn, std::shared_ptr<const ratchet::Request> r) override {
    {
      std::lock_guard l(m);
      ++opens;
    }
    ratchet::respond(conn, *r, ratchet::HttpResponse::text("page " + std::string(r->target())));
  }
  void onClose(ratchet::ConnectionPtr) override {
    {
      std::lock_guard l(m);
      ++closes;
    }
    closed.notify();  // not under m: waitFor() holds the signal's mutex while it takes m
  }
  void onError(ratchet::ConnectionPtr, const ratchet::Error&) override {}
  std::pair<int, int> counts() {
    std::lock_guard l(m);
    return {opens, closes};
  }
  std::mutex m;
  int opens = 0, closes = 0;
  test::Signal closed;
};

struct Server {
  explicit Server(ratchet::AppOptions options = test::testOptions())
      : app(options, [this](ratchet::App& a) {
          a.route("/page", page, {"*"});
          a.route("/body", std::make_shared<ratchet::HttpHandler>([](const ratchet::Request& r) {
                    return ratchet::HttpResponse::text("got " + std::string(r.body()), 201);
                  }),
                  {"*"});
          a.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
        }) {}
  std::uint16_t port() { return app.port(); }
  std::shared_ptr<CountingPage> page = std::make_shared<CountingPage>();
  test::Running<test::RoutedApp> app;
};

}  // namespace

TEST_CASE("keep-alive: requests to different routes share one connection") {
  Server server;
  HttpSession s(server.port());
  for (int i = 0; i < 3; ++i) {
    const auto page = s.get("/page?n=" + std::to_string(i));
    CHECK(page.result_int() == 200);
    CHECK(page.body() == "page /page?n=" + std::to_string(i));
    CHECK(page[http::field::connection] == "keep-alive");
    const auto body =
        s.request(HttpSession::make(http::verb::post, "/body", "x" + std::to_string(i)));
    CHECK(body.result_int() == 201);
    CHECK(body.body() == "got x" + std::to_string(i));
    const auto missing = s.get("/missing");  // a 404 keeps the connection too
    CHECK(missing.result_int() == 404);
    CHECK(missing[http::field::connection] == "keep-alive");
  }
  // Each request opened and closed the component once; the connection is still up.
  CHECK(server.page->closed.waitFor([&] { return server.page->counts() == std::pair(3, 3); }));
  CHECK(s.get("/page").body() == "page /page");
}

TEST_CASE("keep-alive: pipelined requests are answered in order") {
  Server server;
  HttpSession s(server.port());
  // All requests in one write: the server holds the later ones while it answers each.
  std::string burst;
  for (int i = 0; i < 5; ++i)
    burst += "GET /page?n=" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  burst += "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\ndone";
  test::asio::write(s.socket(), test::asio::buffer(burst));
  for (int i = 0; i < 5; ++i) CHECK(s.read().body() == "page /page?n=" + std::to_string(i));
  CHECK(s.read().body() == "got done");
}

TEST_CASE("keep-alive: Connection: close, HEAD and HTTP/1.1 defaults") {
  Server server;
  HttpSession s(server.port());
  auto head = HttpSession::make(http::verb::head, "/page");
  const auto h = s.request(head);
  CHECK(h.result_int() == 200);
  CHECK(h[http::field::content_length] == "10");  // "page /page", no body sent
  CHECK(h.body().empty());
  auto last = HttpSession::make(http::verb::get, "/page");
  last.set(http::field::connection, "close");
  const auto r = s.request(last);
  CHECK(r.body() == "page /page");
  CHECK(r[http::field::connection] == "close");
  CHECK(s.closedByPeer());
}

TEST_CASE("keep-alive: an idle connection closes after keepAliveTimeout") {
  auto options = test::testOptions();
  options.http.keepAliveTimeout = std::chrono::milliseconds(100);
  Server server(options);
  HttpSession s(server.port());
  CHECK(s.get("/page").result_int() == 200);
  CHECK(s.closedByPeer());  // quietly: no 408 for a client that sent nothing
}

TEST_CASE("keep-alive: plain requests, then an upgrade on the same connection") {
  Server server;
  HttpSession s(server.port());
  CHECK(s.get("/page").result_int() == 200);
  CHECK(s.get("/page").result_int() == 200);
  test::websocket::stream<test::tcp::socket&> ws(s.socket());
  ws.handshake("127.0.0.1", "/echo");
  ws.write(test::asio::buffer(std::string("after two pages")));
  test::beast::flat_buffer b;
  ws.read(b);
  CHECK(test::beast::buffers_to_string(b.data()) == "after two pages");
  ws.close(test::websocket::close_code::normal);
}

TEST_CASE("keep-alive: Expect: 100-continue gets 100 before the body is sent") {
  Server server;
  test::RawClient raw(server.port());
  raw.write("POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  CHECK(raw.readExactly(25) == "HTTP/1.1 100 Continue\r\n\r\n");
  raw.write("hello");
  const auto response = raw.readSome();
  CHECK(response.starts_with("HTTP/1.1 201 Created\r\n"));
  CHECK(response.ends_with("got hello"));
}

TEST_CASE("keep-alive: a client flooding pipelined bytes is cut off, others are served") {
  auto options = test::testOptions();
  options.http.maxHeaderBytes = 1024;
  options.http.maxBodyBytes = 1024;
  Server server(options);
  // /page answers at once, but the server holds at most one whole request's worth behind a
  // request being answered; pipelining far more than that ends the connection.
  test::RawClient flood(server.port());
  std::string burst;
  for (int i = 0; i < 200; ++i) burst += "GET /page HTTP/1.1\r\nHost: x\r\n\r\n";
  boost::system::error_code ec;
  test::asio::write(flood.socket(), test::asio::buffer(burst), ec);
  const auto all = flood.readAll();  // until the server ends the connection
  CHECK(all.size() < 200 * 80);      // far fewer answers than requests: cut off
  HttpSession other(server.port());
  CHECK(other.get("/page").result_int() == 200);
}
