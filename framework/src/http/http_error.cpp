#include "http/http_error.hpp"

#include <fmt/format.h>
#include <boost/beast/http/status.hpp>

namespace ratchet::detail {

std::string statusLine(int status) {
  const auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  return fmt::format("HTTP/1.1 {} {}\r\n", status, std::string_view(reason.data(), reason.size()));
}

std::string httpResponse(int status, std::string_view body, std::string_view headers) {
  return fmt::format(
      "{}Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n"
      "{}\r\n{}",
      statusLine(status), body.size(), headers, body);
}

void respondAndClose(Transport& t, int status, std::string_view body, std::string_view headers) {
  t.write(httpResponse(status, body, headers), {}, true);
  t.finish();
}

}  // namespace ratchet::detail
