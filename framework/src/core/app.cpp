#include "ratchet/app.hpp"

#include "ratchet/http_server.hpp"
#include "ratchet/io_server.hpp"
#include "ratchet/origin_check.hpp"
#include "ratchet/router.hpp"
#include "ratchet/ws_server.hpp"

#include <stdexcept>

namespace ratchet {

namespace {

IoOptions withTls(AppOptions options) {
  if (options.tls && options.io.tls)
    throw std::invalid_argument("AppOptions: set tls or io.tls, not both");
  if (options.tls) options.io.tls = std::move(options.tls);
  return options.io;
}

}  // namespace

App::App(std::string httpHost, std::uint16_t port, std::string address, AppOptions options)
    : httpHost_(std::move(httpHost)),
      options_(options),
      router_(std::make_shared<Router>()),
      server_(std::make_unique<IoServer>(std::make_shared<HttpServer>(router_, options.http), port,
                                         address, withTls(std::move(options)))) {}

App::~App() = default;

App& App::route(std::string path, std::shared_ptr<MessageComponentInterface> component,
                std::vector<std::string> allowedOrigins, std::string httpHost) {
  return route(std::move(path), std::make_shared<WsServer>(std::move(component), options_.ws),
               std::move(allowedOrigins), std::move(httpHost));
}

App& App::route(std::string path, std::shared_ptr<HttpServerInterface> component,
                std::vector<std::string> allowedOrigins, std::string httpHost) {
  auto ws = std::dynamic_pointer_cast<WsServer>(component);
  if (allowedOrigins.empty()) allowedOrigins.push_back(httpHost_);
  if (allowedOrigins != std::vector<std::string>{"*"})
    component = std::make_shared<OriginCheck>(std::move(component), std::move(allowedOrigins));
  router_->add(path, std::move(component), std::move(httpHost));
  if (ws) webSockets_.emplace_back(std::move(path), std::move(ws));
  return *this;
}

std::shared_ptr<WsServer> App::webSocket(std::string_view path) const {
  for (const auto& [p, ws] : webSockets_)
    if (p == path) return ws;
  return nullptr;
}

void App::run() {
  server_->run();
}
void App::stop() {
  server_->stop();
}
bool App::reloadTls() {
  return server_->reloadTls();
}
std::uint16_t App::port() const noexcept {
  return server_->port();
}
std::size_t App::connectionCount() const noexcept {
  return server_->connectionCount();
}

}  // namespace ratchet
