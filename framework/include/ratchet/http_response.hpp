#pragma once
// HttpResponse: a plain HTTP response, and respond() to send it on a keep-alive connection.

#include "ratchet/connection.hpp"
#include "ratchet/request.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ratchet {

/// A plain HTTP response. Content-Length and Connection are added when it is sent;
/// serialize() is the one writer of HTTP responses in the framework.
struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  HttpResponse& header(std::string_view name, std::string_view value);
  static HttpResponse text(std::string body, int status = 200) {
    return make(status, "text/plain; charset=utf-8", std::move(body));
  }
  static HttpResponse html(std::string body, int status = 200) {
    return make(status, "text/html; charset=utf-8", std::move(body));
  }
  static HttpResponse json(std::string body, int status = 200) {
    return make(status, "application/json", std::move(body));
  }

  /// The response on the wire: `withBody` false for HEAD (Content-Length still tells the
  /// body's size), `keepAlive` picks the Connection header.
  std::string serialize(bool withBody = true, bool keepAlive = false) const;

 private:
  static HttpResponse make(int status, const char* type, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.header("Content-Type", type);
    return r;
  }
};

/// Answers `request`, which opened `conn` (an HttpServerInterface's onOpen), with `response`
/// and ends the exchange. When the client allows it (HTTP/1.1 without `Connection: close`)
/// and the response has no `Connection: close` header, the connection stays open for the
/// client's next request, which HttpServer routes afresh: the component sees onClose now
/// and a new onOpen for that request. Otherwise the connection closes once it is written.
/// Call it once per request, from any thread.
///
/// On a connection that HttpServer did not make (a test double), the response goes out as
/// one binary message with send(), followed by close() unless it is kept alive.
void respond(const ConnectionPtr& conn, const Request& request, const HttpResponse& response);

/// Sends `response` with `Connection: close` and closes the connection once it is written:
/// for refusals and errors after which the connection is not to be trusted.
void respondAndClose(const ConnectionPtr& conn, const HttpResponse& response);

}  // namespace ratchet
