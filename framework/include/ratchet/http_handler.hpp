#pragma once
// HttpHandler: answers plain HTTP requests on a route with a function.

#include "ratchet/component.hpp"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace ratchet {

/// A plain HTTP response. Content-Length and Connection are added when it is sent.
struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  HttpResponse& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  static HttpResponse text(std::string body, int status = 200) {
    return make(status, "text/plain; charset=utf-8", std::move(body));
  }
  static HttpResponse html(std::string body, int status = 200) {
    return make(status, "text/html; charset=utf-8", std::move(body));
  }
  static HttpResponse json(std::string body, int status = 200) {
    return make(status, "application/json", std::move(body));
  }

  /// The response on the wire; `withBody` false for HEAD requests.
  std::string serialize(bool withBody = true) const;

 private:
  static HttpResponse make(int status, const char* type, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.header("Content-Type", type);
    return r;
  }
};

/// Mounts a function as a plain HTTP route:
///
///     app.route("/health", std::make_shared<ratchet::HttpHandler>(
///         [](const ratchet::Request&) { return ratchet::HttpResponse::text("ok\n"); }));
///
/// The function sees the whole request (method, headers, body within HttpOptions limits) and
/// its response is sent with `Connection: close`. Like any component, it is called one
/// request at a time unless constructed with threadSafe = true. An exception from it is
/// answered with 500.
class HttpHandler : public HttpServerInterface {
 public:
  using Function = std::function<HttpResponse(const Request&)>;

  explicit HttpHandler(Function function, bool threadSafe = false)
      : function_(std::move(function)), threadSafe_(threadSafe) {}

  void onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) override;
  void onMessage(ConnectionPtr, const Message&) override {}  // no pipelining: we close
  void onClose(ConnectionPtr) override {}
  void onError(ConnectionPtr conn, const Error& error) override;
  bool isThreadSafe() const noexcept override { return threadSafe_; }

 private:
  Function function_;
  bool threadSafe_;
};

}  // namespace ratchet
