#pragma once
// HttpServer: parses the HTTP request that opens each connection.

#include "ratchet/component.hpp"
#include "ratchet/options.hpp"

#include <memory>

namespace ratchet {

/// Reads one HTTP/1.1 request per connection with Beast's parser, within
/// HttpOptions::maxHeaderBytes (else 431), maxBodyBytes (else 413) and handshakeTimeout
/// (else 408 and close); malformed requests get 400. The parsed request goes to the wrapped
/// component's onOpen(conn, request), and every byte after it to its onMessage.
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

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ratchet
