#include "ratchet/http_handler.hpp"

#include "ratchet/log.hpp"

#include <fmt/format.h>
#include <boost/beast/http/status.hpp>

namespace ratchet {

std::string HttpResponse::serialize(bool withBody) const {
  const auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  std::string out =
      fmt::format("HTTP/1.1 {} {}\r\n", status, std::string_view(reason.data(), reason.size()));
  for (const auto& [name, value] : headers)
    fmt::format_to(std::back_inserter(out), "{}: {}\r\n", name, value);
  // 1xx, 204 and 304 responses have no content and must not announce any (RFC 9110 8.6).
  const bool noContent = status < 200 || status == 204 || status == 304;
  if (!noContent) fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", body.size());
  out += "Connection: close\r\n\r\n";
  if (withBody && !noContent) out += body;
  return out;
}

void HttpHandler::onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) {
  const auto response = function_(*request);
  conn->send(response.serialize(request->method() != "HEAD"));
  conn->close();
}

void HttpHandler::onError(ConnectionPtr conn, const Error& error) {
  log::warn("conn {}: HTTP handler failed: {}", conn->id(), error.what());
  conn->send(HttpResponse::text("Internal server error\n", 500).serialize());
  conn->close();
}

}  // namespace ratchet
