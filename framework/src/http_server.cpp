#include "ratchet/http_server.hpp"

#include "ratchet/log.hpp"

#include "dispatcher.hpp"
#include "http_response.hpp"
#include "transport.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>

namespace ratchet {

namespace http = boost::beast::http;

namespace {

// One connection's progress through its request.
struct HttpState final : detail::Transport::LayerState {
  std::optional<http::request_parser<http::string_body>> parser;
  std::string pending;          // bytes of an incomplete request, kept until it completes
  std::size_t headerBytes = 0;  // header bytes the parser has consumed
  bool delivered = false;
};

std::shared_ptr<const Request> toRequest(http::request<http::string_body>&& m) {
  std::vector<Request::Header> headers;
  headers.reserve(16);
  for (const auto& field : m)
    headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  return std::make_shared<const Request>(std::string(m.method_string()), std::string(m.target()),
                                         m.version(), std::move(headers), std::move(m.body()));
}

}  // namespace

struct HttpServer::Impl {
  Impl(std::shared_ptr<HttpServerInterface> component, HttpOptions opts)
      : next(std::move(component)), options(opts) {}

  // Feeds `bytes` to the parser; hands a complete request on, answers a bad one.
  void parse(const ConnectionPtr& conn, HttpState& st, std::string_view bytes);
  void reject(detail::Transport& t, HttpState& st, int status, std::string_view why);

  detail::Dispatcher<HttpServerInterface> next;
  HttpOptions options;
};

HttpServer::HttpServer(std::shared_ptr<HttpServerInterface> component, HttpOptions options)
    : impl_(std::make_unique<Impl>(std::move(component), options)) {}

HttpServer::~HttpServer() = default;

void HttpServer::onOpen(ConnectionPtr conn) {
  auto& t = conn->transport();
  auto& st = t.emplaceState<HttpState>(this);
  st.parser.emplace();
  st.parser->header_limit(static_cast<std::uint32_t>(impl_->options.maxHeaderBytes));
  st.parser->body_limit(impl_->options.maxBodyBytes);
  t.setTimer(impl_->options.handshakeTimeout, [&t, id = conn->id()] {
    log::debug("conn {}: no complete HTTP request in time", id);
    detail::respondAndClose(t, 408, "Request timeout\n");
  });
}

void HttpServer::onMessage(ConnectionPtr from, const Message& bytes) {
  auto* st = from->transport().state<HttpState>(this);
  if (!st) return;
  if (st->delivered) return impl_->next.message(from, bytes);
  impl_->parse(from, *st, bytes.data());
}

void HttpServer::Impl::parse(const ConnectionPtr& conn, HttpState& st, std::string_view bytes) {
  auto& t = conn->transport();
  if (!st.parser) return;  // already rejected
  // Beast wants the whole header in one buffer: keep partial input until it completes.
  std::string_view input = bytes;
  if (!st.pending.empty()) input = st.pending.append(bytes);
  std::size_t used = 0;
  boost::beast::error_code ec;
  while (!st.parser->is_done()) {
    const bool inHeader = !st.parser->is_header_done();
    const auto n =
        st.parser->put(boost::asio::buffer(input.data() + used, input.size() - used), ec);
    used += n;
    // Beast applies its limit to each put(), and consumes whole header lines as they come:
    // the header's total size is counted here. (Not eager: put() stops at the header's end.)
    if (inHeader) st.headerBytes += n;
    const auto unparsedHeader = st.parser->is_header_done() ? 0 : input.size() - used;
    if (st.headerBytes + unparsedHeader > options.maxHeaderBytes)
      return reject(t, st, 431, "Request header fields too large\n");
    if (ec == http::error::need_more) {
      if (used == input.size() || !st.parser->is_header_done()) break;
      ec = {};
      continue;
    }
    if (ec == http::error::header_limit)
      return reject(t, st, 431, "Request header fields too large\n");
    if (ec == http::error::body_limit) return reject(t, st, 413, "Content too large\n");
    if (ec) return reject(t, st, 400, "Bad request: " + ec.message() + "\n");
  }
  if (!st.parser->is_done()) {
    st.pending.assign(input.substr(used));  // (a self-assignment of the tail is fine)
    return;
  }
  auto request = toRequest(st.parser->release());
  st.parser.reset();
  // RFC 9112 section 3.2: exactly one Host in an HTTP/1.1 request.
  if (request->headerCount("host") > 1 || (request->version() >= 11 && !request->hasHeader("host")))
    return reject(t, st, 400, "Bad request: exactly one Host header required\n");
  st.delivered = true;
  t.cancelTimer();
  // Bytes after the request (a client may send its first WebSocket frame at once).
  std::string rest(input.substr(used));
  std::string().swap(st.pending);
  next.open(conn, std::move(request));
  if (!rest.empty()) next.message(conn, Message::binary(rest));
}

void HttpServer::Impl::reject(detail::Transport& t, HttpState& st, int status,
                              std::string_view why) {
  log::debug("conn {}: HTTP {}: {}", t.id(), status, why.substr(0, why.size() - 1));
  st.parser.reset();
  std::string().swap(st.pending);
  t.cancelTimer();
  detail::respondAndClose(t, status, why);
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
