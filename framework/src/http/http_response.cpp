#include "ratchet/http_response.hpp"

#include "ratchet/component.hpp"
#include "ratchet/log.hpp"

#include "codec/text.hpp"
#include "http/http_connection.hpp"

#include <fmt/format.h>
#include <boost/beast/http/status.hpp>

namespace ratchet {

namespace {

bool saysClose(const HttpResponse& response) {
  for (const auto& [name, value] : response.headers)
    if (detail::iequals(name, "connection") && detail::iequals(detail::trim(value), "close"))
      return true;
  return false;
}

void send(const ConnectionPtr& conn, std::string bytes, bool keepAlive) {
  if (auto* http = dynamic_cast<detail::HttpConnection*>(conn.get()))
    return http->respond(std::move(bytes), keepAlive);
  conn->send(Message::binary(bytes));
  if (!keepAlive) conn->close();
}

}  // namespace

HttpResponse& HttpResponse::header(std::string_view name, std::string_view value) {
  headers.emplace_back(name, value);
  return *this;
}

std::string HttpResponse::serialize(bool withBody, bool keepAlive) const {
  const auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  std::string out =
      fmt::format("HTTP/1.1 {} {}\r\n", status, std::string_view(reason.data(), reason.size()));
  for (const auto& [name, value] : headers)
    if (!detail::iequals(name, "connection") && !detail::iequals(name, "content-length"))
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
  const bool keepAlive = request.version() >= 11 &&
                         !request.headerHasToken("connection", "close") &&
                         !request.hasHeader("upgrade") && !saysClose(response);
  send(conn, response.serialize(request.method() != "HEAD", keepAlive), keepAlive);
}

void respondAndClose(const ConnectionPtr& conn, const HttpResponse& response) {
  send(conn, response.serialize(conn->request().method() != "HEAD", false), false);
}

void HttpServerInterface::onClose(ConnectionPtr) {}

void HttpServerInterface::onError(ConnectionPtr conn, const Error& error) {
  log::warn("conn {}: {} failed: {}", conn->id(), conn->request().target(), error.what());
  respondAndClose(conn, HttpResponse::text("Internal server error\n", 500));
}

}  // namespace ratchet
