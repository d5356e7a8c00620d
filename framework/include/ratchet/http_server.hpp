#pragma once
// HttpServer: parses the HTTP request that opens each connection.

#include "ratchet/component.hpp"
#include "ratchet/options.hpp"

#include <memory>

namespace ratchet {

/// Reads HTTP/1.1 requests with Beast's parser, within HttpOptions::maxHeaderBytes (else
/// 431), maxBodyBytes (else 413) and handshakeTimeout (else 408 and close; it counts from
/// accept, so it covers a TLS handshake too); malformed requests get 400. Each parsed
/// request goes to the wrapped component's onOpen(conn, request), where `conn` is that
/// request's connection (conn->request() is the request). A plain request answered with
/// respond() keeps the connection alive: the component sees onClose, and the next request
/// (pipelined ones are held meanwhile) comes with a new onOpen; idle for keepAliveTimeout,
/// the connection closes. A component that takes the connection over (WsServer after an
/// upgrade) gets every later byte, and HttpServer leaves the path.
///
/// It takes each connection over from its IoServer at onOpen, so it must be the IoServer's
/// component itself (IoServer(HttpServer(...))), and it sees no later event of the
/// connection. Owns nothing per connection beyond the parser state; thread-safe.
class HttpServer : public MessageComponentInterface {
 public:
  explicit HttpServer(std::shared_ptr<HttpServerInterface> component, HttpOptions options = {});
  ~HttpServer() override;

  void onOpen(ConnectionPtr conn) override;
  /// Never called with bytes: HttpServer takes the connection over at onOpen.
  void onMessage(ConnectionPtr from, const Message& bytes) override;
  void onClose(ConnectionPtr conn) override;
  void onError(ConnectionPtr conn, const Error& error) override;
  bool isThreadSafe() const noexcept override { return true; }

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace ratchet
