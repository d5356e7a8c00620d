#include "ratchet/connection.hpp"

namespace ratchet {

Connection::~Connection() = default;

const Request& Connection::request() const noexcept {
  static const Request none;
  return none;
}

}  // namespace ratchet
