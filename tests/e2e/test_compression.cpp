// End-to-end tests of permessage-deflate (RFC 7692) against an independent implementation:
// Boost.Beast's client, which compresses and inflates with its own port of zlib. Real
// servers on loopback, real clients, no sleeps.

#include "support.hpp"

#include <ratchet/ratchet.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace test;

websocket::permessage_deflate clientOffer(bool clientNoContextTakeover = false,
                                          int serverMaxWindowBits = 15) {
  websocket::permessage_deflate pmd;
  pmd.client_enable = true;
  pmd.client_no_context_takeover = clientNoContextTakeover;
  pmd.server_max_window_bits = serverMaxWindowBits;
  return pmd;
}

ratchet::AppOptions withCompression(std::optional<ratchet::Compression> compression) {
  auto options = testOptions();
  options.ws.compression = compression;
  return options;
}

Running<RoutedApp> echoServer(std::optional<ratchet::Compression> compression) {
  return Running<RoutedApp>(withCompression(compression), [](ratchet::App& app) {
    app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
  });
}

std::string extensionsOf(const WsClient& client) {
  return std::string(client.response()[http::field::sec_websocket_extensions]);
}

// Compressible text of `n` bytes, varied enough that it is not one repeated byte.
std::string chatText(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; s.size() < n; ++i)
    s += "{\"user\":\"u" + std::to_string(i % 97) + "\",\"text\":\"hello there\"}";
  s.resize(n);
  return s;
}

std::string noise(std::size_t n) {
  std::string s(n, '\0');
  std::uint32_t x = 2463534242u;
  for (auto& c : s) x ^= x << 13, x ^= x >> 17, x ^= x << 5, c = static_cast<char>(x);
  return s;
}

}  // namespace

TEST_CASE("deflate: a Beast client negotiates it and every size echoes intact") {
  Watchdog watchdog("deflate echo");
  auto server = echoServer(ratchet::Compression{});
  for (const bool noContext : {false, true}) {
    CAPTURE(noContext);
    WsClient client(server.port(), "/echo", nullptr, "127.0.0.1", clientOffer(noContext));
    const auto ext = extensionsOf(client);
    CHECK(ext.starts_with("permessage-deflate"));
    CHECK(ext.find("server_no_context_takeover") != std::string::npos);
    // Asked for by default (Compression::clientNoContextTakeover), offered or not.
    CHECK(ext.find("client_no_context_takeover") != std::string::npos);
    for (const std::size_t n : {0u, 1u, 63u, 64u, 65u, 1000u, 65536u, 1u << 20, 4u << 20}) {
      CAPTURE(n);
      const auto text = chatText(n);
      client.send(text);
      CHECK(client.read() == text);
      const auto bytes = noise(n);
      client.sendBinary(bytes);
      CHECK(client.read() == bytes);
    }
    client.close();
  }
}

TEST_CASE("deflate: server context takeover and a smaller window still echo intact") {
  Watchdog watchdog("deflate settings");
  ratchet::Compression takeover;  // both sides keep their context
  takeover.serverContextTakeover = true;
  takeover.clientNoContextTakeover = false;
  takeover.level = 9;
  ratchet::Compression small;
  small.serverMaxWindowBits = 9;
  small.memLevel = 1;
  small.minSize = 0;
  for (const auto& settings : {takeover, small}) {
    auto server = echoServer(settings);
    WsClient client(server.port(), "/echo", nullptr, "127.0.0.1", clientOffer());
    const auto ext = extensionsOf(client);
    CHECK((ext.find("server_no_context_takeover") == std::string::npos) ==
          settings.serverContextTakeover);
    CHECK((ext.find("client_no_context_takeover") == std::string::npos) ==
          !settings.clientNoContextTakeover);
    for (int i = 0; i < 20; ++i) {  // similar messages: a kept context is used
      const auto text = chatText(200 + 37 * i);
      client.send(text);
      CHECK(client.read() == text);
    }
    client.close();
  }
}

TEST_CASE("deflate: a client asking for a 10-bit server window gets it") {
  auto server = echoServer(ratchet::Compression{});
  WsClient client(server.port(), "/echo", nullptr, "127.0.0.1", clientOffer(false, 10));
  CHECK(extensionsOf(client).find("server_max_window_bits=10") != std::string::npos);
  const auto text = chatText(100000);
  client.send(text);
  CHECK(client.read() == text);
}

TEST_CASE("deflate: off unless configured, and a client that offers none is served plain") {
  {
    auto server = echoServer(std::nullopt);
    WsClient client(server.port(), "/echo", nullptr, "127.0.0.1", clientOffer());
    CHECK(extensionsOf(client).empty());
    client.send(chatText(5000));
    CHECK(client.read() == chatText(5000));
  }
  auto server = echoServer(ratchet::Compression{});
  WsClient client(server.port());
  CHECK(extensionsOf(client).empty());
  client.send(chatText(5000));
  CHECK(client.read() == chatText(5000));
}

TEST_CASE("deflate: a broadcast reaches clients with and without compression intact") {
  Watchdog watchdog("deflate broadcast");
  auto ws = std::make_shared<ratchet::WsServer>(std::make_shared<ratchet::EchoServer>(), [] {
    ratchet::WsOptions o;
    o.compression = ratchet::Compression{};
    return o;
  }());
  Running<RoutedApp> server(testOptions(), [&](ratchet::App& app) {
    app.route("/b", std::static_pointer_cast<ratchet::HttpServerInterface>(ws), {"*"});
  });
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 6; ++i) {
    std::optional<websocket::permessage_deflate> offer;
    if (i % 3 != 0) offer = clientOffer(i % 3 == 2, i % 2 ? 15 : 11);
    clients.push_back(std::make_unique<WsClient>(server.port(), "/b", nullptr, "127.0.0.1", offer));
  }
  // Each client has been accepted once it can echo.
  for (auto& c : clients) {
    c->send("ready");
    REQUIRE(c->read() == "ready");
  }
  const auto text = chatText(20000);
  CHECK(ws->broadcast(ratchet::Message::text(text)) == clients.size());
  for (auto& c : clients) CHECK(c->read() == text);
}
