#include "ratchet/connection.hpp"

#include "io/transport.hpp"

namespace ratchet {

Connection::Connection(detail::Transport& transport)
    : Connection(transport, transport.id(), transport.remoteAddress(), transport.remotePort()) {}

Connection::~Connection() = default;

const Request& Connection::request() const noexcept {
  static const Request none;
  return none;
}

}  // namespace ratchet
