#pragma once
// Minimal HTTP responses the framework itself sends (errors, refusals of the handshake).

#include "io/transport.hpp"

#include <string>
#include <string_view>

namespace ratchet::detail {

/// "HTTP/1.1 <status> <reason>\r\n".
std::string statusLine(int status);

/// statusLine + `headers` (each ending in \r\n) + a text/plain body, with Content-Length and
/// Connection: close.
std::string httpResponse(int status, std::string_view body, std::string_view headers = {});

/// Sends httpResponse(...) on `t` and ends the connection once it is written.
void respondAndClose(Transport& t, int status, std::string_view body,
                     std::string_view headers = {});

}  // namespace ratchet::detail
