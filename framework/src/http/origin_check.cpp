#include "ratchet/origin_check.hpp"

#include "ratchet/log.hpp"

#include "core/dispatcher.hpp"
#include "http/http_error.hpp"
#include "codec/text.hpp"

namespace ratchet {

namespace {

struct OriginState final : detail::Transport::LayerState {};

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

void OriginCheck::onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) {
  auto& t = conn->transport();
  if (request->hasHeader("origin") && !allows(request->header("origin"))) {
    log::debug("conn {}: origin '{}' not allowed", conn->id(), request->header("origin"));
    return detail::respondAndClose(t, 403, "Origin not allowed\n");
  }
  t.emplaceState<OriginState>(this);
  impl_->next.open(conn, std::move(request));
}

void OriginCheck::onMessage(ConnectionPtr from, const Message& bytes) {
  if (from->transport().state<OriginState>(this)) impl_->next.message(from, bytes);
}

void OriginCheck::onClose(ConnectionPtr conn) {
  auto& t = conn->transport();
  if (t.state<OriginState>(this)) {
    impl_->next.close(conn);
    t.eraseState(this);  // a keep-alive connection is checked afresh for its next request
  }
}

void OriginCheck::onError(ConnectionPtr conn, const Error& error) {
  if (conn->transport().state<OriginState>(this)) impl_->next.error(conn, error);
}

}  // namespace ratchet
