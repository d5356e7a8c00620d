#include "ratchet/http_server.hpp"

#include "ratchet/log.hpp"

#include "dispatcher.hpp"
#include "http_response.hpp"
#include "request_reader.hpp"
#include "transport.hpp"

namespace ratchet {

namespace {

// One connection's progress through its request.
struct HttpState final : detail::Transport::LayerState {
  explicit HttpState(const HttpOptions& options) : reader(options) {}
  detail::RequestReader reader;
  bool delivered = false;  // the request went to the component; bytes now follow it
};

}  // namespace

struct HttpServer::Impl {
  detail::Dispatcher<HttpServerInterface> next;
  HttpOptions options;
};

HttpServer::HttpServer(std::shared_ptr<HttpServerInterface> component, HttpOptions options)
    : impl_(std::make_unique<Impl>(Impl{detail::Dispatcher(std::move(component)), options})) {}

HttpServer::~HttpServer() = default;

void HttpServer::onOpen(ConnectionPtr conn) {
  auto& t = conn->transport();
  t.emplaceState<HttpState>(this, impl_->options);
  t.setTimer(impl_->options.handshakeTimeout, [&t] {
    log::debug("conn {}: no complete HTTP request in time", t.id());
    detail::respondAndClose(t, 408, "Request timeout\n");
  });
}

void HttpServer::onMessage(ConnectionPtr from, const Message& bytes) {
  auto& t = from->transport();
  auto* st = t.state<HttpState>(this);
  if (!st) return;
  if (st->delivered) return impl_->next.message(from, bytes);
  auto result = st->reader.feed(bytes.data());
  using Kind = detail::RequestReader::Result::Kind;
  if (result.kind == Kind::needMore) return;
  t.cancelTimer();
  if (result.kind == Kind::error) {
    log::debug("conn {}: HTTP {}: {}", t.id(), result.status, result.why);
    return detail::respondAndClose(t, result.status, result.why + "\n");
  }
  st->delivered = true;
  impl_->next.open(from, std::move(result.request));
  // Bytes after the request (a client may send its first WebSocket frame at once).
  if (!result.rest.empty()) impl_->next.message(from, Message::binary(result.rest));
}

void HttpServer::onClose(ConnectionPtr conn) {
  auto* st = conn->transport().state<HttpState>(this);
  if (st && st->delivered) impl_->next.close(conn);
}

void HttpServer::onError(ConnectionPtr conn, const Error& error) {
  auto* st = conn->transport().state<HttpState>(this);
  if (st && st->delivered) impl_->next.error(conn, error);
}

}  // namespace ratchet
