#include "handshake.hpp"

#include <algorithm>
#include <cctype>

namespace bench {
namespace {

// RFC 6455's own example key and its accept value (section 1.3): a fixed key needs no SHA-1.
constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string makeUpgradeRequest(std::string_view host, std::uint16_t port, std::string_view path,
                               std::string_view extensions) {
  std::string r;
  r.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host);
  r.append(":").append(std::to_string(port));
  r.append(
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: ");
  r.append(kKey).append("\r\n");
  if (!extensions.empty()) r.append("Sec-WebSocket-Extensions: ").append(extensions).append("\r\n");
  r.append("\r\n");
  return r;
}

std::string checkUpgradeResponse(std::string_view head, std::string* extensions) {
  if (extensions) extensions->clear();
  const auto lineEnd = head.find("\r\n");
  const auto status = head.substr(0, lineEnd);
  if (!status.starts_with("HTTP/1.1 101")) return "status is not 101: " + std::string(status);
  bool upgrade = false, connection = false, accept = false;
  std::size_t pos = lineEnd + 2;
  for (int lines = 0; pos < head.size() && lines < 200; ++lines) {  // bounded: 200 headers
    const auto end = head.find("\r\n", pos);
    if (end == std::string_view::npos || end == pos) break;
    const auto line = head.substr(pos, end - pos);
    pos = end + 2;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return "malformed header line";
    const auto name = lower(trim(line.substr(0, colon)));
    const auto value = trim(line.substr(colon + 1));
    if (name == "upgrade")
      upgrade = lower(value) == "websocket";
    else if (name == "connection")
      connection = lower(value).find("upgrade") != std::string::npos;
    else if (name == "sec-websocket-accept")
      accept = value == kAccept;
    else if (name == "sec-websocket-extensions" && extensions)
      extensions->append(extensions->empty() ? "" : ", ").append(value);
  }
  if (!upgrade) return "no Upgrade: websocket";
  if (!connection) return "no Connection: upgrade";
  if (!accept) return "wrong or missing Sec-WebSocket-Accept";
  return {};
}

}  // namespace bench
