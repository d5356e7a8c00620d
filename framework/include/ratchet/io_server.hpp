#pragma once
// IoServer: accepts TCP connections and feeds their bytes to a component.

#include "ratchet/component.hpp"
#include "ratchet/options.hpp"

#include <cstdint>
#include <memory>
#include <string_view>

namespace ratchet {

/// The bottom of every stack. `IoServer(chat, 9000)` alone is a raw TCP server: each chunk
/// of bytes a client sends reaches chat.onMessage and conn->send() writes bytes back.
/// `IoServer(std::make_shared<HttpServer>(std::make_shared<WsServer>(chat)), 8080)` is the
/// same chat over WebSocket.
///
/// With IoOptions::tls the port speaks TLS: the same components run over it unchanged
/// (`IoServer(chat, 9443, "0.0.0.0", {.tls = ...})` is a chat that `openssl s_client` joins).
/// The certificates are read by the constructor, which throws std::runtime_error naming a
/// file that cannot be used.
///
/// The socket is bound and listening when the constructor returns (port 0 picks a free port,
/// see port()). run() serves on IoOptions::threads threads and returns after stop(), or
/// after SIGINT/SIGTERM, once every connection has closed or the shutdown timeout passed.
/// The IoServer owns its connections; it must outlive run().
class IoServer {
 public:
  IoServer(std::shared_ptr<MessageComponentInterface> component, std::uint16_t port,
           std::string_view address = "0.0.0.0", IoOptions options = {});
  ~IoServer();
  IoServer(const IoServer&) = delete;
  IoServer& operator=(const IoServer&) = delete;

  /// Serves until stopped. Call once.
  void run();
  /// Starts a graceful stop: no new connections, every open one is asked to close
  /// (WebSocket: 1001 Going Away). Safe from any thread and from signal-free contexts.
  void stop();
  /// Reads the TLS certificate and key files again: new handshakes use them, open
  /// connections go on. Returns false, and keeps the current certificates, when the files
  /// cannot be used (the reason is logged). Throws std::logic_error without IoOptions::tls.
  /// Safe from any thread.
  bool reloadTls();
  /// True when the port speaks TLS.
  bool isTls() const noexcept;
  /// The port actually bound.
  std::uint16_t port() const noexcept;
  /// Connections currently open.
  std::size_t connectionCount() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace ratchet
