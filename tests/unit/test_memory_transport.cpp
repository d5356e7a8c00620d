// The in-memory transport under the real HTTP and WebSocket layers: no socket, virtual time.
#include "io/memory_transport.hpp"

#include <ratchet/ratchet.hpp>

#include <doctest/doctest.h>

using ratchet::detail::MemoryTransport;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<ratchet::HttpServer> helloServer() {
  auto router = std::make_shared<ratchet::Router>();
  router->add("/hello", std::make_shared<ratchet::HttpHandler>([](const ratchet::Request&) {
                return ratchet::HttpResponse::text("hi\n");
              }));
  return std::make_shared<ratchet::HttpServer>(router);
}

}  // namespace

TEST_CASE("memory transport: a request is answered and the connection kept alive") {
  auto t = MemoryTransport::open(helloServer());
  t->feed("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto out = t->take();
  CHECK(out.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(out.ends_with("\r\n\r\nhi\n"));
  CHECK(out.find("Connection: keep-alive") != std::string::npos);
  CHECK_FALSE(t->finishing());
  t->feed("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(t->take().starts_with("HTTP/1.1 404 "));
}

TEST_CASE("memory transport: an idle keep-alive connection closes after keepAliveTimeout") {
  auto t = MemoryTransport::open(helloServer());
  t->feed("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  t->advance(4900ms);
  CHECK_FALSE(t->finishing());
  t->advance(200ms);
  CHECK(t->finishing());
}
