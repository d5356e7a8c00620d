// PushEndpoint and WsServer::broadcast: other programs push to a route's WebSocket clients.
#include "e2e/support.hpp"

namespace {

namespace http = test::http;
using test::HttpSession;

constexpr const char* kToken = "s3cret-token";

struct Server {
  Server()
      : app(test::testOptions(), [](ratchet::App& a) {
          a.route("/chat", std::make_shared<ratchet::EchoServer>(), {"*"});
          a.route("/other", std::make_shared<ratchet::EchoServer>(), {"*"});
          a.route("/push", std::make_shared<ratchet::PushEndpoint>(a, kToken, 1024), {"*"});
        }) {}
  std::uint16_t port() { return app.port(); }
  test::Running<test::RoutedApp> app;
};

http::request<http::string_body> push(std::string body, std::string token = kToken) {
  auto req = HttpSession::make(http::verb::post, "/push", std::move(body));
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  req.set(http::field::content_type, "application/json");
  return req;
}

}  // namespace

TEST_CASE("push: a POST reaches every client of the route, and only them") {
  Server server;
  test::WsClient a(server.port(), "/chat"), b(server.port(), "/chat");
  test::WsClient other(server.port(), "/other");
  HttpSession s(server.port());

  const auto text = s.request(push(R"({"route":"/chat","message":"deploy at five"})"));
  CHECK(text.result_int() == 200);
  CHECK(text.body() == "{\"delivered\":2}\n");
  CHECK(a.read() == "deploy at five");
  CHECK(b.read() == "deploy at five");

  // Any other JSON value is sent as JSON.
  const auto object =
      s.request(push(R"({"route":"/chat","message":{"type":"system","message":"hi"}})"));
  CHECK(object.result_int() == 200);
  CHECK(a.read() == R"({"type":"system","message":"hi"})");
  CHECK(b.read() == R"({"type":"system","message":"hi"})");

  // The client of the other route got nothing: its first message is its own echo.
  other.send("mine");
  CHECK(other.read() == "mine");
}

TEST_CASE("push: refusals get their status, and nothing is sent") {
  Server server;
  test::WsClient client(server.port(), "/chat");
  HttpSession s(server.port());

  const auto noToken = s.request(push(R"({"route":"/chat","message":"x"})", ""));
  CHECK(noToken.result_int() == 401);
  CHECK(noToken[http::field::www_authenticate] == "Bearer");
  const auto wrong = s.request(push(R"({"route":"/chat","message":"x"})", "guess"));
  CHECK(wrong.result_int() == 401);
  CHECK(wrong[http::field::www_authenticate] == R"(Bearer error="invalid_token")");
  auto basic = push(R"({"route":"/chat","message":"x"})");
  basic.set(http::field::authorization, std::string("Basic ") + kToken);
  CHECK(s.request(basic).result_int() == 401);

  CHECK(s.request(push("{not json")).result_int() == 400);
  CHECK(s.request(push(R"(["/chat","x"])")).result_int() == 400);
  CHECK(s.request(push(R"({"route":"/chat"})")).result_int() == 400);
  CHECK(s.request(push(R"({"route":5,"message":"x"})")).result_int() == 400);
  CHECK(s.request(push(R"({"route":"/nowhere","message":"x"})")).result_int() == 404);
  CHECK(s.request(push(R"({"route":"/push","message":"x"})")).result_int() == 404);
  const auto big =
      s.request(push(R"({"route":"/chat","message":")" + std::string(2000, 'x') + "\"}"));
  CHECK(big.result_int() == 413);
  const auto get = s.get("/push");
  CHECK(get.result_int() == 405);
  CHECK(get[http::field::allow] == "POST");

  // None of those reached the client: the next push is the first thing it reads.
  CHECK(s.request(push(R"({"route":"/chat","message":"only this"})")).result_int() == 200);
  CHECK(client.read() == "only this");
}

TEST_CASE("push: App::webSocket finds WebSocket routes, and an empty token is refused") {
  ratchet::App app("localhost", 0, "127.0.0.1", test::testOptions());
  app.route("/chat", std::make_shared<ratchet::EchoServer>());
  app.route("/page", std::make_shared<ratchet::HttpHandler>([](const ratchet::Request&) {
              return ratchet::HttpResponse::text("page");
            }));
  CHECK(app.webSocket("/chat") != nullptr);
  CHECK(app.webSocket("/chat")->connectionCount() == 0);
  CHECK(app.webSocket("/page") == nullptr);
  CHECK(app.webSocket("/none") == nullptr);
  CHECK_THROWS_AS(ratchet::PushEndpoint(app, ""), std::invalid_argument);
}
