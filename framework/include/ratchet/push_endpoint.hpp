#pragma once
// PushEndpoint: lets other programs push messages to WebSocket clients over plain HTTP.

#include "ratchet/component.hpp"

#include <cstddef>
#include <string>

namespace ratchet {

class App;

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
/// Refers to `app` without owning it: mount it on that App, which outlives its routes.
/// Stateless and thread-safe.
class PushEndpoint : public HttpServerInterface {
 public:
  /// Throws std::invalid_argument for an empty token: an open push endpoint would let anyone
  /// write to every client.
  PushEndpoint(App& app, std::string token, std::size_t maxBodyBytes = 64 * 1024);

  void onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) override;
  void onMessage(ConnectionPtr, const Message&) override {}
  void onClose(ConnectionPtr) override {}
  void onError(ConnectionPtr conn, const Error& error) override;
  bool isThreadSafe() const noexcept override { return true; }

 private:
  App& app_;
  std::string token_;
  std::size_t maxBodyBytes_;
};

}  // namespace ratchet
