#include "ratchet/origin_check.hpp"

#include "ratchet/log.hpp"

#include "codec/text.hpp"
#include "core/dispatcher.hpp"
#include "ratchet/http_response.hpp"

namespace ratchet {

namespace {

// "https://example.com:8443" → "example.com"; "null" and other non-URLs → "".
std::string_view originHost(std::string_view origin) noexcept {
  const auto scheme = origin.find("://");
  if (scheme == std::string_view::npos) return {};
  auto rest = origin.substr(scheme + 3);
  rest = rest.substr(0, rest.find('/'));
  if (rest.starts_with('[')) return rest.substr(0, rest.find(']') + 1);
  return rest.substr(0, rest.find(':'));
}

}  // namespace

struct OriginCheck::Impl {
  detail::Dispatcher<HttpServerInterface> next;
  std::vector<std::string> allowed;
};

OriginCheck::OriginCheck(std::shared_ptr<HttpServerInterface> component,
                         std::vector<std::string> allowed)
    : impl_(std::make_unique<Impl>(
          Impl{detail::Dispatcher(std::move(component)), std::move(allowed)})) {}

OriginCheck::~OriginCheck() = default;

bool OriginCheck::allows(std::string_view origin) const {
  const auto host = originHost(origin);
  for (const auto& entry : impl_->allowed) {
    if (entry == "*") return true;
    const bool fullOrigin = entry.find("://") != std::string::npos;
    if (fullOrigin ? detail::iequals(entry, origin)
                   : (!host.empty() && detail::iequals(entry, host)))
      return true;
  }
  return false;
}

// Whether the request passed is decided again from the connection's request when it ends:
// nothing to keep per connection.
bool OriginCheck::passes(const Request& request) const {
  return !request.hasHeader("origin") || allows(request.header("origin"));
}

void OriginCheck::onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) {
  if (!passes(*request)) {
    log::debug("conn {}: origin '{}' not allowed", conn->id(), request->header("origin"));
    return respondAndClose(conn, HttpResponse::text("Origin not allowed\n", 403));
  }
  impl_->next.open(conn, std::move(request));
}

void OriginCheck::onClose(ConnectionPtr conn) {
  if (passes(conn->request())) impl_->next.close(conn);
}

void OriginCheck::onError(ConnectionPtr conn, const Error& error) {
  if (passes(conn->request())) impl_->next.error(conn, error);
}

}  // namespace ratchet
