#pragma once
// The interfaces components implement. Events flow up through decorators to these.

#include "ratchet/connection.hpp"
#include "ratchet/error.hpp"
#include "ratchet/message.hpp"
#include "ratchet/request.hpp"

#include <memory>
#include <string>
#include <vector>

namespace ratchet {

/// What every component handles: the end of a connection and its errors.
///
/// Ownership: components are shared (std::shared_ptr) by the servers and decorators that use
/// them; one component instance serves many connections and belongs to one server.
class ComponentInterface {
 public:
  virtual ~ComponentInterface() = default;

  /// Called exactly once per opened connection, last of all its events.
  virtual void onClose(ConnectionPtr conn) = 0;
  /// A callback threw, or the connection failed. The connection may still be open.
  virtual void onError(ConnectionPtr conn, const Error& error) = 0;

  /// By default the framework never runs two callbacks of a component at once, whatever
  /// the number of I/O threads, so plain containers need no locks. A component that guards
  /// its own state returns true and is called directly on each connection's I/O thread.
  virtual bool isThreadSafe() const noexcept { return false; }
};

/// A component of messages: the WebSocket (or raw TCP) application.
class MessageComponentInterface : public ComponentInterface {
 public:
  /// A new connection; always before any onMessage of it.
  virtual void onOpen(ConnectionPtr conn) = 0;
  /// One whole message (WebSocket) or one chunk of received bytes (raw TCP).
  virtual void onMessage(ConnectionPtr from, const Message& message) = 0;
};

/// A component behind HttpServer: it receives each parsed request (Router, WsServer,
/// OriginCheck and plain HTTP handlers implement it). A plain HTTP component answers with
/// respond() (http_response.hpp), which keeps the connection alive for the next request: it
/// sees onOpen ... onClose once per request. A component that takes the connection over
/// for another protocol (WsServer) gets its bytes from then on; HttpServer and the layers
/// between are out of the path.
class HttpServerInterface : public ComponentInterface {
 public:
  virtual void onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) = 0;
  /// The request is over (answered, or the connection closed). Nothing to do by default.
  void onClose(ConnectionPtr conn) override;
  /// By default a warning is logged and the client gets 500 Internal Server Error, and the
  /// connection closes.
  void onError(ConnectionPtr conn, const Error& error) override;
};

/// Implemented, next to MessageComponentInterface, by components that speak WebSocket
/// subprotocols (Sec-WebSocket-Protocol). WsServer picks the first the client offers.
class WsServerInterface {
 public:
  virtual ~WsServerInterface() = default;
  virtual std::vector<std::string> getSubProtocols() const = 0;
};

}  // namespace ratchet
