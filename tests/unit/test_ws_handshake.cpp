// The server side of the RFC 6455 opening handshake.
#include "codec/ws_handshake.hpp"

#include <algorithm>

#include <doctest/doctest.h>

using ratchet::Request;
using namespace ratchet::detail;

namespace {

Request upgrade(std::vector<Request::Header> extra = {}, std::string method = "GET",
                unsigned version = 11) {
  std::vector<Request::Header> h = {{"Host", "localhost"},
                                    {"Upgrade", "websocket"},
                                    {"Connection", "Upgrade"},
                                    {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                    {"Sec-WebSocket-Version", "13"}};
  for (auto& [name, value] : extra) {
    std::erase_if(h, [&](auto& x) { return x.first == name; });
    if (!value.empty()) h.emplace_back(name, value);
  }
  return Request(std::move(method), "/ws", version, std::move(h));
}

}  // namespace

TEST_CASE("handshake: Sec-WebSocket-Accept of the RFC 6455 sample key") {
  CHECK(webSocketAccept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("handshake: a key must be base64 of exactly 16 bytes") {
  CHECK(isValidWebSocketKey("dGhlIHNhbXBsZSBub25jZQ=="));
  CHECK(isValidWebSocketKey("AAAAAAAAAAAAAAAAAAAAAA=="));
  CHECK_FALSE(isValidWebSocketKey(""));
  CHECK_FALSE(isValidWebSocketKey("dGhlIHNhbXBsZSBub25jZQ"));        // no padding
  CHECK_FALSE(isValidWebSocketKey("dGhlIHNhbXBsZSBub25jZQ=A"));      // bad padding
  CHECK_FALSE(isValidWebSocketKey("dGhlIHNhbXBsZSBub25j*Q=="));      // bad character
  CHECK_FALSE(isValidWebSocketKey("dGhlIHNhbXBsZSBub25jZR=="));      // non-zero unused bits
  CHECK_FALSE(isValidWebSocketKey("dGhlIHNhbXBsZSBub25jZSBtb3Jl"));  // 21 bytes
}

TEST_CASE("handshake: request checks in order, with the RFC's statuses") {
  CHECK(checkUpgradeRequest(upgrade()).status == 101);
  CHECK(checkUpgradeRequest(upgrade({}, "POST")).status == 405);
  CHECK(checkUpgradeRequest(upgrade({}, "POST")).headers ==
        ratchet::detail::HandshakeCheck::Headers{{"Allow", "GET"}});
  CHECK(checkUpgradeRequest(upgrade({{"Upgrade", ""}})).status == 426);
  CHECK(checkUpgradeRequest(upgrade({{"Upgrade", "h2c"}})).status == 426);
  CHECK(checkUpgradeRequest(upgrade({}, "GET", 10)).status == 400);
  CHECK(checkUpgradeRequest(upgrade({{"Connection", "keep-alive"}})).status == 400);
  CHECK(checkUpgradeRequest(upgrade({{"Connection", "keep-alive, upgrade"}})).status == 101);
  const auto v8 = checkUpgradeRequest(upgrade({{"Sec-WebSocket-Version", "8"}}));
  CHECK(v8.status == 426);
  CHECK(std::find(v8.headers.begin(), v8.headers.end(),
                  std::pair<std::string, std::string>("Sec-WebSocket-Version", "13")) !=
        v8.headers.end());
  CHECK(checkUpgradeRequest(upgrade({{"Sec-WebSocket-Version", ""}})).status == 426);
  CHECK(checkUpgradeRequest(upgrade({{"Sec-WebSocket-Key", ""}})).status == 400);
  CHECK(checkUpgradeRequest(upgrade({{"Sec-WebSocket-Key", "short"}})).status == 400);
}

TEST_CASE("handshake: the first subprotocol the client offers that the server speaks") {
  const std::vector<std::string> supported = {"v2.chat", "v1.chat"};
  CHECK(negotiateSubprotocol(upgrade({{"Sec-WebSocket-Protocol", "v1.chat, v2.chat"}}),
                             supported) == "v1.chat");
  CHECK(negotiateSubprotocol(upgrade({{"Sec-WebSocket-Protocol", "x, v2.chat"}}), supported) ==
        "v2.chat");
  CHECK(negotiateSubprotocol(upgrade({{"Sec-WebSocket-Protocol", "V1.CHAT"}}), supported).empty());
  CHECK(negotiateSubprotocol(upgrade(), supported).empty());
  CHECK_FALSE(offersSubprotocols(upgrade()));
  CHECK(offersSubprotocols(upgrade({{"Sec-WebSocket-Protocol", "x"}})));
}

TEST_CASE("handshake: the 101 response") {
  CHECK(upgradeResponse("abc=", "") ==
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: abc=\r\n\r\n");
  CHECK(upgradeResponse("abc=", "v1") ==
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: abc=\r\nSec-WebSocket-Protocol: v1\r\n\r\n");
}
