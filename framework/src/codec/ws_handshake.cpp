#include "codec/ws_handshake.hpp"

#include "codec/text.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>

namespace ratchet::detail {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (std::size_t i = 0; i < size; i += 3) {
    const std::uint32_t n = (std::uint32_t(data[i]) << 16) |
                            (i + 1 < size ? std::uint32_t(data[i + 1]) << 8 : 0) |
                            (i + 2 < size ? std::uint32_t(data[i + 2]) : 0);
    out.push_back(kBase64[(n >> 18) & 63]);
    out.push_back(kBase64[(n >> 12) & 63]);
    out.push_back(i + 1 < size ? kBase64[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < size ? kBase64[n & 63] : '=');
  }
  return out;
}

}  // namespace

std::string webSocketAccept(std::string_view key) {
  std::string input;
  input.reserve(key.size() + kGuid.size());
  input.append(key).append(kGuid);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha1(), nullptr);
  return base64(digest.data(), size);
}

bool isValidWebSocketKey(std::string_view key) noexcept {
  // 16 bytes encode to 22 base64 characters plus "==".
  if (key.size() != 24 || !key.ends_with("==")) return false;
  for (std::size_t i = 0; i < 22; ++i)
    if (kBase64.find(key[i]) == std::string_view::npos) return false;
  // The last character carries 2 data bits; the 4 unused bits must be zero (A, Q, g, w).
  const auto last = kBase64.find(key[21]);
  return (last & 0x0F) == 0;
}

HandshakeCheck checkUpgradeRequest(const Request& request) {
  const HandshakeCheck::Headers upgradeHeaders = {{"Upgrade", "websocket"},
                                                  {"Sec-WebSocket-Version", "13"}};
  if (request.method() != "GET") return {405, "Method not allowed: use GET", {{"Allow", "GET"}}};
  if (!request.headerHasToken("upgrade", "websocket"))
    return {426, "Upgrade required: this resource speaks WebSocket", upgradeHeaders};
  if (request.version() < 11) return {400, "Bad request: WebSocket needs HTTP/1.1", {}};
  if (!request.headerHasToken("connection", "upgrade"))
    return {400, "Bad request: Connection header must contain 'upgrade'", {}};
  if (request.headerCount("sec-websocket-version") != 1 ||
      trim(request.header("sec-websocket-version")) != "13")
    return {426, "Upgrade required: Sec-WebSocket-Version must be 13", upgradeHeaders};
  if (request.headerCount("sec-websocket-key") != 1 ||
      !isValidWebSocketKey(trim(request.header("sec-websocket-key"))))
    return {400, "Bad request: Sec-WebSocket-Key must be 16 bytes in base64", {}};
  return {};
}

bool offersSubprotocols(const Request& request) noexcept {
  return request.hasHeader("sec-websocket-protocol");
}

std::string negotiateSubprotocol(const Request& request,
                                 const std::vector<std::string>& supported) {
  std::string chosen;
  for (const auto& [name, value] : request.headers()) {
    if (!iequals(name, "sec-websocket-protocol")) continue;
    forEachListItem(value, ',', [&](std::string_view offered) {
      if (!chosen.empty()) return;
      for (const auto& s : supported)
        if (s == offered) chosen = s;  // subprotocol names are case-sensitive
    });
    if (!chosen.empty()) break;
  }
  return chosen;
}

std::string upgradeResponse(std::string_view accept, std::string_view subprotocol,
                            std::string_view extensions) {
  const auto line = [](std::string_view name, std::string_view value) {
    return value.empty() ? std::string() : fmt::format("{}: {}\r\n", name, value);
  };
  return fmt::format(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: {}\r\n{}{}\r\n",
      accept, line("Sec-WebSocket-Protocol", subprotocol),
      line("Sec-WebSocket-Extensions", extensions));
}

}  // namespace ratchet::detail
