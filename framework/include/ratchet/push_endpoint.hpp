#pragma once
// PushEndpoint: lets other programs push messages to WebSocket clients over plain HTTP.

#include "ratchet/component.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace ratchet {

class WsServer;

/// `POST` with a JSON body `{"route":"/chat","message":...}` sends `message` to every client
/// of that WebSocket route of `app`: a JSON string as its text, any other JSON value
/// serialized. For web applications and cron jobs that hold no WebSocket:
///
///     app.route("/push", std::make_shared<ratchet::PushEndpoint>(app, token));
///
///     curl -H "Authorization: Bearer $TOKEN" http://localhost:8080/push
///          -d '{"route":"/chat","message":"hi"}'
///
/// Answers 200 `{"delivered":N}`; 401 without `Authorization: Bearer <token>` (compared in
/// constant time); 400 for a body that is not such an object; 404 for a route that is not a
/// WebSocket route of `app`; 405 for other methods; 413 for a body over `maxBodyBytes`.
///
/// The routes come from anything with `webSocket(path)` returning a
/// std::shared_ptr<WsServer> (App has it), or from a function. It refers to `routes` without
/// owning it: mount it on that App, which outlives its routes. Stateless and thread-safe.
class PushEndpoint : public HttpServerInterface {
 public:
  /// The WebSocket server of a route path, or nullptr.
  using Routes = std::function<std::shared_ptr<WsServer>(std::string_view path)>;

  /// Throws std::invalid_argument for an empty token: an open push endpoint would let anyone
  /// write to every client.
  PushEndpoint(Routes routes, std::string token, std::size_t maxBodyBytes = 64 * 1024);
  template <class Directory>
  requires requires(const Directory& d) { d.webSocket(std::string_view()); }
  PushEndpoint(const Directory& directory, std::string token, std::size_t maxBodyBytes = 64 * 1024)
      : PushEndpoint([&directory](std::string_view path) { return directory.webSocket(path); },
                     std::move(token), maxBodyBytes) {}

  void onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) override;
  bool isThreadSafe() const noexcept override { return true; }

 private:
  Routes routes_;
  std::string token_;
  std::size_t maxBodyBytes_;
};

}  // namespace ratchet
