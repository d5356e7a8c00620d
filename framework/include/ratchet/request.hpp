#pragma once
// The HTTP request that opened a connection (for WebSocket routes: the upgrade request).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ratchet {

/// An immutable, parsed HTTP/1.1 request. Header names compare case-insensitively.
///
/// Lifetime: HttpServer creates one per request and shares it; a WebSocket connection keeps
/// its upgrade request for as long as the connection object lives.
class Request {
 public:
  using Header = std::pair<std::string, std::string>;

  Request() = default;
  Request(std::string method, std::string target, unsigned version, std::vector<Header> headers,
          std::string body = {});

  std::string_view method() const noexcept { return method_; }
  /// The request target as sent, e.g. "/chat?room=1".
  std::string_view target() const noexcept { return target_; }
  /// The target without its query string, e.g. "/chat".
  std::string_view path() const noexcept;
  /// The raw query string without '?', e.g. "room=1"; empty when there is none.
  std::string_view query() const noexcept;
  /// The percent-decoded value of the first query parameter `name`.
  std::optional<std::string> queryParam(std::string_view name) const;
  /// HTTP version times ten: 11 for HTTP/1.1.
  unsigned version() const noexcept { return version_; }

  /// The first header named `name`, or an empty view.
  std::string_view header(std::string_view name) const noexcept;
  bool hasHeader(std::string_view name) const noexcept;
  std::size_t headerCount(std::string_view name) const noexcept;
  const std::vector<Header>& headers() const noexcept { return headers_; }
  /// True when the comma-separated header `name` lists `token` (case-insensitive).
  bool headerHasToken(std::string_view name, std::string_view token) const noexcept;

  /// The value of cookie `name` from the Cookie header(s).
  std::optional<std::string> cookie(std::string_view name) const;
  std::string_view body() const noexcept { return body_; }

 private:
  std::string method_;
  std::string target_;
  unsigned version_ = 11;
  std::vector<Header> headers_;
  std::string body_;
};

}  // namespace ratchet
