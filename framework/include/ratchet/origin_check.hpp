#pragma once
// OriginCheck: refuses browser requests from origins not on a list.

#include "ratchet/component.hpp"

#include <memory>
#include <string>
#include <vector>

namespace ratchet {

/// Answers 403 Forbidden to requests whose Origin header is not allowed, and passes the
/// rest to the wrapped component. An entry is a host ("example.com", any scheme and port)
/// or a full origin ("https://example.com:8443"). Requests without an Origin header come
/// from non-browser clients, which can send any Origin anyway, and are let through.
class OriginCheck : public HttpServerInterface {
 public:
  OriginCheck(std::shared_ptr<HttpServerInterface> component, std::vector<std::string> allowed);
  ~OriginCheck() override;

  /// True when `origin` (an Origin header value) matches the allowed list.
  bool allows(std::string_view origin) const;

  void onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) override;
  void onClose(ConnectionPtr conn) override;
  void onError(ConnectionPtr conn, const Error& error) override;
  bool isThreadSafe() const noexcept override { return true; }

 private:
  bool passes(const Request& request) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ratchet
