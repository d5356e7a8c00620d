// demo::mount: pages, WebSocket routes and server push share one port.
#include "demo/support.hpp"

using demo_test::ChatClient;
using demo_test::DemoServer;
using demo_test::str;
using test::HttpSession;
namespace http = test::http;

namespace {

http::request<http::string_body> push(std::string body, std::string_view token) {
  auto req = HttpSession::make(http::verb::post, "/push", std::move(body));
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + std::string(token));
  return req;
}

}  // namespace

TEST_CASE("demo: the page, the echo and a push to the chat on one port and connection") {
  test::Watchdog watchdog("demo routes");
  DemoServer server;
  auto clients = demo_test::room(server.port(), {"alice", "bob"});
  ChatClient lurker(server.port());  // connected, not joined: a push reaches it too

  HttpSession s(server.port());
  const auto page = s.get("/");
  CHECK(page.result_int() == 200);
  CHECK(page[http::field::content_type] == "text/html; charset=utf-8");
  CHECK(s.get("/missing.js").result_int() == 404);

  const auto pushed =
      s.request(push(R"({"route":"/chat","message":{"type":"system","message":"deploy at five"}})",
                     demo_test::kToken));
  CHECK(pushed.result_int() == 200);
  CHECK(pushed.body() == "{\"delivered\":3}\n");
  for (auto& c : clients) CHECK(str(c->expect("system"), "message") == "deploy at five");
  CHECK(str(lurker.expect("system"), "message") == "deploy at five");

  CHECK(s.request(push(R"({"route":"/chat","message":"x"})", "wrong")).result_int() == 401);
  CHECK(s.request(push(R"({"route":"/chat","message":"x"})", "")).result_int() == 401);
  CHECK(s.request(push("{not json", demo_test::kToken)).result_int() == 400);
  CHECK(s.request(push(R"({"route":"/echo","message":"x"})", demo_test::kToken)).body() ==
        "{\"delivered\":0}\n");
  CHECK(s.request(push(std::string(65 * 1024, ' '), demo_test::kToken)).result_int() == 413);

  test::WsClient echo(server.port(), "/echo");
  echo.send("ping");
  CHECK(echo.read() == "ping");
}

TEST_CASE("demo: without a token the push endpoint is off") {
  test::Watchdog watchdog("demo push off");
  DemoServer server("");
  HttpSession s(server.port());
  CHECK(s.request(push(R"({"route":"/chat","message":"x"})", "")).result_int() == 404);
  CHECK(s.get("/").result_int() == 200);
}

TEST_CASE("demo: browsers from other sites cannot open the chat or the bot") {
  test::Watchdog watchdog("demo origins");
  DemoServer server;
  for (const char* path : {"/chat", "/bot"}) {
    CAPTURE(path);
    const auto from = [&](std::string origin) {
      return [origin](test::websocket::request_type& req) {
        req.set(test::http::field::origin, origin);
      };
    };
    CHECK_THROWS(test::WsClient(server.port(), path, from("http://evil.example")));
    CHECK_NOTHROW(test::WsClient(server.port(), path, from("http://127.0.0.1:8080")));
    CHECK_NOTHROW(test::WsClient(server.port(), path, from("http://localhost:8080")));
  }
}
