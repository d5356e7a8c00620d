#include "ratchet/http_response.hpp"

#include "http/http_error.hpp"
#include "http/http_exchange.hpp"
#include "codec/text.hpp"

#include <fmt/format.h>

namespace ratchet {

HttpResponse& HttpResponse::header(std::string_view name, std::string_view value) {
  headers.emplace_back(name, value);
  return *this;
}

std::string HttpResponse::serialize(bool withBody, bool keepAlive) const {
  std::string out = detail::statusLine(status);
  for (const auto& [name, value] : headers)
    fmt::format_to(std::back_inserter(out), "{}: {}\r\n", name, value);
  // 1xx, 204 and 304 responses have no content and must not announce any (RFC 9110 8.6).
  const bool noContent = status < 200 || status == 204 || status == 304;
  if (!noContent) fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", body.size());
  out += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  if (withBody && !noContent) out += body;
  return out;
}

void respond(const ConnectionPtr& conn, const Request& request, const HttpResponse& response) {
  // A refused upgrade closes: the client wanted another protocol, not a next request.
  bool keepAlive = request.version() >= 11 && !request.headerHasToken("connection", "close") &&
                   !request.hasHeader("upgrade");
  for (const auto& [name, value] : response.headers)
    if (detail::iequals(name, "connection") && detail::iequals(detail::trim(value), "close"))
      keepAlive = false;
  auto& t = conn->transport();
  t.write(response.serialize(request.method() != "HEAD", keepAlive), {}, true);
  if (keepAlive)
    detail::endHttpExchange(t);
  else
    t.finish();
}

}  // namespace ratchet
