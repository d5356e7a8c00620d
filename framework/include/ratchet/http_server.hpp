#pragma once
// HttpServer: parses the HTTP request that opens each connection.

#include "ratchet/component.hpp"
#include "ratchet/options.hpp"

#include <memory>

namespace ratchet {

/// Reads HTTP/1.1 requests with Beast's parser, within HttpOptions::maxHeaderBytes (else
/// 431), maxBodyBytes (else 413) and handshakeTimeout (else 408 and close); malformed
/// requests get 400. Each parsed request goes to the wrapped component's onOpen(conn,
/// request). After an upgrade request every later byte goes to its onMessage. A plain
/// request answered with respond() keeps the connection alive: the component sees onClose,
/// and the next request (pipelined ones are held meanwhile) opens it again; idle for
/// keepAliveTimeout, it closes.
///
/// Owns nothing per connection beyond the parser state; thread-safe.
class HttpServer : public MessageComponentInterface {
 public:
  explicit HttpServer(std::shared_ptr<HttpServerInterface> component, HttpOptions options = {});
  ~HttpServer() override;

  void onOpen(ConnectionPtr conn) override;
  void onMessage(ConnectionPtr from, const Message& bytes) override;
  void onClose(ConnectionPtr conn) override;
  void onError(ConnectionPtr conn, const Error& error) override;
  bool isThreadSafe() const noexcept override { return true; }

  struct Impl;  // implementation detail

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ratchet
