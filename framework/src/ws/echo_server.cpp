#include "ratchet/echo_server.hpp"

#include "ratchet/log.hpp"

namespace ratchet {

void EchoServer::onMessage(ConnectionPtr from, const Message& message) {
  from->send(message);
}

void EchoServer::onError(ConnectionPtr conn, const Error& error) {
  log::debug("conn {}: {}", conn->id(), error.what());
  conn->close(close_code::internal_error, "echo failed");
}

}  // namespace ratchet
