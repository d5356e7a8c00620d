#pragma once
// WsServer: RFC 6455 WebSocket on top of an HTTP upgrade request.

#include "ratchet/component.hpp"
#include "ratchet/options.hpp"

#include <memory>

namespace ratchet {

/// Turns an HTTP upgrade request into a WebSocket connection for a MessageComponentInterface:
/// validates the handshake (GET, HTTP/1.1, Upgrade/Connection tokens, a 16-byte
/// Sec-WebSocket-Key, version 13), negotiates the subprotocol, then frames and unframes
/// messages. Before the upgrade: 405 (+ Allow: GET) for other methods, 426 (+ Upgrade and
/// Sec-WebSocket-Version: 13) without `Upgrade: websocket` or with a version other than 13,
/// 400 for HTTP/1.0, a missing `Connection: upgrade` token or a bad key. After it, close
/// codes 1002/1007/1009. Keeps idle peers alive with pings.
///
/// Thread-safe itself; calls the component according to its isThreadSafe().
class WsServer : public HttpServerInterface {
 public:
  explicit WsServer(std::shared_ptr<MessageComponentInterface> component, WsOptions options = {});
  ~WsServer() override;

  void onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) override;
  void onClose(ConnectionPtr conn) override;
  void onError(ConnectionPtr conn, const Error& error) override;
  bool isThreadSafe() const noexcept override { return true; }

  const WsOptions& options() const noexcept;
  /// Messages not sent because a client's queue was full (WsOptions::queuePolicy drop).
  std::uint64_t droppedMessages() const noexcept;
  /// WebSocket connections currently open.
  std::size_t connectionCount() const;
  /// Sends `message` to every open connection, framed once, and returns how many it went
  /// to. From any thread; for pushes from outside the component (its own code usually
  /// keeps its own set of connections).
  std::size_t broadcast(const Message& message);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace ratchet
