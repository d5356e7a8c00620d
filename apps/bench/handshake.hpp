#pragma once
// The HTTP upgrade of a WebSocket client (RFC 6455 section 4.1) with a fixed key.

#include <cstdint>
#include <string>
#include <string_view>

namespace bench {

/// The upgrade request for ws://host:port/path. Every connection sends the same bytes.
/// `extensions`: a Sec-WebSocket-Extensions value to offer (empty: none).
std::string makeUpgradeRequest(std::string_view host, std::uint16_t port, std::string_view path,
                               std::string_view extensions = {});

/// Checks a complete response head (up to and including the blank line): status 101,
/// Upgrade: websocket, Connection: upgrade and the Sec-WebSocket-Accept of our key.
/// Returns empty when valid, else what is wrong. `extensions`, when given, receives the
/// Sec-WebSocket-Extensions values (several headers joined with ", "; empty: none).
std::string checkUpgradeResponse(std::string_view head, std::string* extensions = nullptr);

/// Response heads larger than this are refused.
inline constexpr std::size_t kMaxResponseHead = 8192;

}  // namespace bench
