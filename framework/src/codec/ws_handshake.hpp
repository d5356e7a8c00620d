#pragma once
// The server side of the RFC 6455 opening handshake (section 4.2), framework-internal.

#include "ratchet/request.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ratchet::detail {

/// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key + GUID)).
std::string webSocketAccept(std::string_view key);

/// True when `key` is the base64 encoding of exactly 16 bytes.
bool isValidWebSocketKey(std::string_view key) noexcept;

/// The outcome of checking an upgrade request: status 101 to accept, else an HTTP error.
struct HandshakeCheck {
  int status = 101;
  std::string reason;  // short text for the error body and log
  using Headers = std::vector<std::pair<std::string, std::string>>;
  Headers headers;  // extra response headers
};

/// Checks method, version, Upgrade/Connection tokens, key and version, in RFC order.
HandshakeCheck checkUpgradeRequest(const Request& request);

/// The first subprotocol the client offers (in its order) that `supported` contains; empty
/// when none does.
std::string negotiateSubprotocol(const Request& request, const std::vector<std::string>& supported);

/// True when the client offered any subprotocol at all.
bool offersSubprotocols(const Request& request) noexcept;

/// The 101 Switching Protocols response.
std::string upgradeResponse(std::string_view accept, std::string_view subprotocol,
                            std::string_view extensions = {});

}  // namespace ratchet::detail
