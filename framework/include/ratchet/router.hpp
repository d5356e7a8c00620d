#pragma once
// Router: picks the component for a request by path (and optionally Host).

#include "ratchet/component.hpp"

#include <memory>
#include <string>

namespace ratchet {

/// Routes each request to the component mounted on its path. Paths match exactly, ignoring
/// the query string; a path ending in "/*" matches everything below it (longest wins).
/// A route given a host only matches requests whose Host header (without port) equals it.
/// No match → 404 Not Found. Routes are added before the server runs.
class Router : public HttpServerInterface {
 public:
  Router();
  ~Router() override;

  /// Mounts `component` on `path`; throws std::invalid_argument on a duplicate or a path
  /// that does not start with '/'.
  void add(std::string path, std::shared_ptr<HttpServerInterface> component, std::string host = {});

  void onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) override;
  void onClose(ConnectionPtr conn) override;
  void onError(ConnectionPtr conn, const Error& error) override;
  bool isThreadSafe() const noexcept override { return true; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ratchet
