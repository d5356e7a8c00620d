// HttpHandler: plain HTTP routes next to WebSocket routes on one port.
#include "e2e/support.hpp"

#include <stdexcept>

namespace {

namespace http = test::http;

ratchet::App& routes(ratchet::App& app) {
  app.route("/hello", std::make_shared<ratchet::HttpHandler>([](const ratchet::Request& r) {
              return ratchet::HttpResponse::text("hello " + std::string(r.method()) + " " +
                                                 r.queryParam("name").value_or("?") + "\n")
                  .header("X-Test", "1");
            }),
            {"*"});
  app.route("/echo-body", std::make_shared<ratchet::HttpHandler>([](const ratchet::Request& r) {
              return ratchet::HttpResponse::json(std::string(r.body()), 201);
            }),
            {"*"});
  app.route(
      "/boom",
      std::make_shared<ratchet::HttpHandler>([](const ratchet::Request&) -> ratchet::HttpResponse {
        throw std::runtime_error("handler failed");
      }),
      {"*"});
  app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
  return app;
}

http::request<http::string_body> request(http::verb verb, std::string target,
                                         std::string body = {}) {
  http::request<http::string_body> req(verb, target, 11);
  req.body() = std::move(body);
  return req;
}

}  // namespace

TEST_CASE("http handler: GET, HEAD and POST get the function's response") {
  test::Running<test::RoutedApp> server(test::testOptions(),
                                        [](ratchet::App& app) { routes(app); });

  const auto get = test::httpRequest(server.port(), request(http::verb::get, "/hello?name=ada"));
  CHECK(get.result_int() == 200);
  CHECK(get.body() == "hello GET ada\n");
  CHECK(get[http::field::content_type] == "text/plain; charset=utf-8");
  CHECK(get["X-Test"] == "1");

  const auto post =
      test::httpRequest(server.port(), request(http::verb::post, "/echo-body", R"({"a":1})"));
  CHECK(post.result_int() == 201);
  CHECK(post.body() == R"({"a":1})");
  CHECK(post[http::field::content_type] == "application/json");

  // HEAD: the headers of GET, no body.
  test::RawClient raw(server.port());
  raw.write("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto head = raw.readAll();
  CHECK(head.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(head.find("Content-Length: 13\r\n") != std::string::npos);  // "hello HEAD ?\n"
  CHECK(head.ends_with("\r\n\r\n"));

  // The WebSocket route on the same port still works.
  test::WsClient ws(server.port(), "/echo");
  ws.send("still here");
  CHECK(ws.read() == "still here");
}

TEST_CASE("http handler: an exception is answered with 500 and the server goes on") {
  test::Running<test::RoutedApp> server(test::testOptions(),
                                        [](ratchet::App& app) { routes(app); });
  const auto boom = test::httpRequest(server.port(), request(http::verb::get, "/boom"));
  CHECK(boom.result_int() == 500);
  const auto ok = test::httpRequest(server.port(), request(http::verb::get, "/hello"));
  CHECK(ok.result_int() == 200);
}
