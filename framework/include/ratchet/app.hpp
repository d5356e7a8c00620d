#pragma once
// App: the front door. One port, many routes.

#include "ratchet/component.hpp"
#include "ratchet/options.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ratchet {

class WsServer;

struct AppOptions {
  IoOptions io;
  HttpOptions http;
  WsOptions ws;
  /// Serve https:// and wss:// on the port (the same as io.tls; set one of them).
  std::optional<TlsOptions> tls{};
};

/// IoServer(HttpServer(Router)) in one object:
///
///     ratchet::App app("localhost", 8080, "0.0.0.0");
///     app.route("/chat", std::make_shared<Chat>());
///     app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
///     app.run();
///
/// `httpHost` is the host name browsers use to reach the server; it is the default allowed
/// Origin of WebSocket routes. With AppOptions::tls the port serves https:// and wss://. The port
/// is bound by the constructor (0 picks one, see port()); routes are added before run().
class App {
 public:
  explicit App(std::string httpHost = "localhost", std::uint16_t port = 8080,
               std::string address = "127.0.0.1", AppOptions options = {});
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  /// Serves `component` over WebSocket on `path`. Browsers whose Origin is not in
  /// `allowedOrigins` (default: {httpHost}) get 403; {"*"} allows all. A non-empty `httpHost`
  /// restricts the route to requests with that Host; others get 404.
  App& route(std::string path, std::shared_ptr<MessageComponentInterface> component,
             std::vector<std::string> allowedOrigins = {}, std::string httpHost = {});
  /// Mounts a component that handles the HTTP request itself (plain HTTP, or its own
  /// upgrade). `allowedOrigins` and `httpHost` work as above.
  App& route(std::string path, std::shared_ptr<HttpServerInterface> component,
             std::vector<std::string> allowedOrigins = {}, std::string httpHost = {});

  /// The WebSocket server on route `path` (the first, whatever its host), or nullptr: e.g.
  /// `app.webSocket("/chat")->broadcast(message)` pushes to that route's clients.
  std::shared_ptr<WsServer> webSocket(std::string_view path) const;

  void run();
  void stop();
  /// Reads the TLS certificate and key files again (see IoServer::reloadTls): new clients
  /// get the new certificate, connected ones go on. False, with a warning logged and the
  /// current certificate kept, when the files cannot be used.
  bool reloadTls();
  std::uint16_t port() const noexcept;
  /// Connections currently open.
  std::size_t connectionCount() const noexcept;
  const std::string& httpHost() const noexcept { return httpHost_; }

 private:
  std::string httpHost_;
  AppOptions options_;
  std::shared_ptr<class Router> router_;
  std::vector<std::pair<std::string, std::shared_ptr<WsServer>>> webSockets_;
  std::unique_ptr<class IoServer> server_;
};

}  // namespace ratchet
