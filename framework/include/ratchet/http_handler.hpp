#pragma once
// HttpHandler: answers plain HTTP requests on a route with a function.

#include "ratchet/component.hpp"
#include "ratchet/http_response.hpp"

#include <functional>
#include <utility>

namespace ratchet {

/// Mounts a function as a plain HTTP route:
///
///     app.route("/health", std::make_shared<ratchet::HttpHandler>(
///         [](const ratchet::Request&) { return ratchet::HttpResponse::text("ok\n"); }));
///
/// The function sees the whole request (method, headers, body within HttpOptions limits);
/// its response goes out with respond(), so HTTP/1.1 clients keep their connection. Like any
/// component, it is called one request at a time unless constructed with threadSafe = true. An
/// exception from it is answered with 500.
class HttpHandler : public HttpServerInterface {
 public:
  using Function = std::function<HttpResponse(const Request&)>;

  explicit HttpHandler(Function function, bool threadSafe = false)
      : function_(std::move(function)), threadSafe_(threadSafe) {}

  void onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) override;
  bool isThreadSafe() const noexcept override { return threadSafe_; }

 private:
  Function function_;
  bool threadSafe_;
};

}  // namespace ratchet
