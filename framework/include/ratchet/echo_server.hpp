#pragma once
// EchoServer: sends every message back to its sender.

#include "ratchet/component.hpp"

namespace ratchet {

/// Echoes each message, with its type, to the connection it came from. Stateless, so it
/// declares itself thread-safe and runs on each connection's own I/O thread.
class EchoServer : public MessageComponentInterface {
 public:
  void onOpen(ConnectionPtr) override {}
  void onMessage(ConnectionPtr from, const Message& message) override;
  void onClose(ConnectionPtr) override {}
  void onError(ConnectionPtr conn, const Error& error) override;
  bool isThreadSafe() const noexcept override { return true; }
};

}  // namespace ratchet
