// WsServer::broadcast compresses a message once for all its permessage-deflate recipients:
// zlib's deflate() is interposed here and counted (the clients are Boost.Beast's, which
// compresses with its own port of zlib, so every call counted is the server's).

#include "e2e/support.hpp"

#include <ratchet/ratchet.hpp>

#include <zlib.h>

#include <dlfcn.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace {
std::atomic<long> deflateCalls{0};
}

extern "C" int deflate(z_streamp strm, int flush) {
  using Fn = int(z_streamp, int);
  static Fn* const real = reinterpret_cast<Fn*>(dlsym(RTLD_NEXT, "deflate"));
  deflateCalls.fetch_add(1);
  return real(strm, flush);
}

TEST_CASE("deflate: a broadcast to many compressing clients is compressed once") {
  test::Watchdog watchdog("deflate broadcast once");
  ratchet::WsOptions options;
  options.compression = ratchet::Compression{};
  auto ws = std::make_shared<ratchet::WsServer>(std::make_shared<ratchet::EchoServer>(), options);
  test::Running<test::RoutedApp> server(test::testOptions(), [&](ratchet::App& app) {
    app.route("/b", std::static_pointer_cast<ratchet::HttpServerInterface>(ws), {"*"});
  });
  test::websocket::permessage_deflate offer;
  offer.client_enable = true;
  std::vector<std::unique_ptr<test::WsClient>> clients;
  for (int i = 0; i < 10; ++i) {
    clients.push_back(
        std::make_unique<test::WsClient>(server.port(), "/b", nullptr, "127.0.0.1", offer));
    clients.back()->send("ready");  // under minSize: echoed uncompressed
    REQUIRE(clients.back()->read() == "ready");
  }
  std::string text;
  while (text.size() < 5000)
    text += "{\"symbol\":\"ACME\",\"price\":" + std::to_string(text.size()) + "}";
  const long before = deflateCalls.load();
  for (int round = 0; round < 3; ++round) {
    CHECK(ws->broadcast(ratchet::Message::text(text)) == clients.size());
    for (auto& c : clients) CHECK(c->read() == text);
  }
  CHECK(deflateCalls.load() - before == 3);
}
