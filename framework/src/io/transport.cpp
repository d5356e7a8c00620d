#include "io/transport.hpp"

#include "ratchet/log.hpp"

namespace ratchet::detail {

void Transport::send(const Message& message) {
  if (write(message.data()) || !isOpen()) return;
  log::warn("conn {}: closed, outgoing queue full ({} bytes buffered)", id(), bufferedAmount());
  abort();
}

}  // namespace ratchet::detail
