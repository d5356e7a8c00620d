#pragma once
// The Connection an HTTP component sees for one request (framework-internal).

#include "ratchet/connection.hpp"

#include <string>

namespace ratchet::detail {

/// HttpServer makes one per request: request() is that request, send() writes raw bytes,
/// and respond() tells HttpServer that the request is answered, so that it reads the next.
class HttpConnection : public Connection {
 public:
  /// Writes `bytes` (a whole response) and ends the exchange: with `keepAlive` the next
  /// request is read, else the connection closes once they are written. Only the first
  /// call counts. Thread-safe.
  virtual void respond(std::string bytes, bool keepAlive) = 0;

 protected:
  using Connection::Connection;
};

}  // namespace ratchet::detail
