#include "ratchet/router.hpp"

#include "ratchet/http_response.hpp"
#include "ratchet/log.hpp"

#include "codec/text.hpp"
#include "core/dispatcher.hpp"

#include <stdexcept>

namespace ratchet {

namespace {

struct Route {
  std::string path;  // without the "/*" of a prefix route
  bool prefix;
  std::string host;
  detail::Dispatcher<HttpServerInterface> target;
};

// The Host header without its port: "example.com:8080" → "example.com", "[::1]:80" → "[::1]".
std::string_view hostName(std::string_view host) noexcept {
  const auto colon = host.rfind(':');
  if (colon == std::string_view::npos || host.find(']', colon) != std::string_view::npos)
    return host;
  return host.substr(0, colon);
}

}  // namespace

struct Router::Impl {
  const Route* match(const Request& request) const noexcept {
    const auto path = request.path();
    const auto host = hostName(request.header("host"));
    const Route* best = nullptr;
    for (const auto& r : routes) {
      if (!r.host.empty() && !detail::iequals(r.host, host)) continue;
      if (!r.prefix) {
        if (r.path == path) return &r;
      } else if (path.starts_with(r.path) &&
                 (path.size() == r.path.size() || path[r.path.size()] == '/' ||
                  r.path.ends_with('/')) &&
                 (!best || r.path.size() > best->path.size())) {
        best = &r;
      }
    }
    return best;
  }

  std::vector<Route> routes;
};

Router::Router() : impl_(std::make_unique<Impl>()) {}
Router::~Router() = default;

void Router::add(std::string path, std::shared_ptr<HttpServerInterface> component,
                 std::string host) {
  if (path.empty() || path.front() != '/')
    throw std::invalid_argument("route path must start with '/': " + path);
  if (!component) throw std::invalid_argument("route " + path + ": no component");
  const bool prefix = path.ends_with("/*");
  if (prefix) path.resize(path.size() - 2);
  for (const auto& r : impl_->routes)
    if (r.path == path && r.prefix == prefix && detail::iequals(r.host, host))
      throw std::invalid_argument("route already defined: " + path);
  impl_->routes.push_back(
      Route{std::move(path), prefix, std::move(host), detail::Dispatcher(std::move(component))});
}

// The routes do not change while the server runs, and each request's connection keeps its
// request: the route chosen at onOpen is found again for onClose, with no state to keep.
void Router::onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) {
  const Route* route = impl_->match(*request);
  if (!route) {
    log::debug("conn {}: no route for {} {}", conn->id(), request->method(), request->target());
    return respond(conn, *request, HttpResponse::text("Not found\n", 404));
  }
  route->target.open(conn, std::move(request));
}

void Router::onClose(ConnectionPtr conn) {
  if (const Route* route = impl_->match(conn->request())) route->target.close(conn);
}

void Router::onError(ConnectionPtr conn, const Error& error) {
  if (const Route* route = impl_->match(conn->request())) route->target.error(conn, error);
}

}  // namespace ratchet
