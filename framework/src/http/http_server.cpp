#include "ratchet/http_server.hpp"

#include "ratchet/log.hpp"

#include "core/dispatcher.hpp"
#include "http/http_error.hpp"
#include "http/http_exchange.hpp"
#include "codec/request_reader.hpp"
#include "io/transport.hpp"

#include <memory>

namespace ratchet {

namespace {

// One connection's progress through its requests.
struct HttpState final : detail::Transport::LayerState {
  enum class Phase : std::uint8_t {
    reading,    // reading a request
    answering,  // a plain request went up; later requests wait in `pipelined`
    upgraded,   // the connection changed protocol: every byte goes up as it comes
  };

  HttpState(HttpServer::Impl& server, const HttpOptions& options)
      : server(server), reader(std::make_unique<detail::RequestReader>(options)) {}

  HttpServer::Impl& server;
  // Only while a request is read: an upgraded connection lives long and must stay small.
  std::unique_ptr<detail::RequestReader> reader;
  Phase phase = Phase::reading;
  bool idle = false;      // keep-alive: no byte of the next request yet
  std::string pipelined;  // bytes that came while a request was being answered
};

}  // namespace

struct HttpServer::Impl {
  detail::Dispatcher<HttpServerInterface> next;
  HttpOptions options;

  void awaitRequest(detail::Transport& t, HttpState& st) {
    if (st.idle) {
      t.setTimer(options.keepAliveTimeout, [&t] {
        log::debug("conn {}: keep-alive connection idle, closing", t.id());
        t.finish();
      });
    } else {
      t.setTimer(options.handshakeTimeout, [&t] {
        log::debug("conn {}: no complete HTTP request in time", t.id());
        detail::respondAndClose(t, 408, "Request timeout\n");
      });
    }
  }

  void read(const ConnectionPtr& conn, HttpState& st, std::string_view bytes) {
    auto& t = conn->transport();
    if (st.idle) {  // the next request begins: it has handshakeTimeout to arrive whole
      st.idle = false;
      awaitRequest(t, st);
    }
    auto result = st.reader->feed(bytes);
    using Kind = detail::RequestReader::Result::Kind;
    if (result.kind == Kind::needMore) {
      if (result.sendContinue) t.write("HTTP/1.1 100 Continue\r\n\r\n", {}, true);
      return;
    }
    t.cancelTimer();
    if (result.kind == Kind::error) {
      log::debug("conn {}: HTTP {}: {}", t.id(), result.status, result.why);
      return detail::respondAndClose(t, result.status, result.why + "\n");
    }
    // An upgrade hands the connection over for good; a plain request is answered with
    // respond(), and requests the client pipelines behind it wait their turn.
    const bool upgrade = result.request->hasHeader("upgrade");
    st.phase = upgrade ? HttpState::Phase::upgraded : HttpState::Phase::answering;
    st.reader.reset();
    next.open(conn, std::move(result.request));
    if (result.rest.empty()) return;
    if (upgrade)  // (a client may send its first WebSocket frame at once)
      next.message(conn, Message::binary(result.rest));
    else
      hold(t, st, result.rest);
  }

  void hold(detail::Transport& t, HttpState& st, std::string_view bytes) {
    st.pipelined.append(bytes);
    // More than a whole request of the largest size waiting: the client is not pipelining
    // requests but flooding.
    if (st.pipelined.size() > options.maxHeaderBytes + options.maxBodyBytes) {
      log::debug("conn {}: too many pipelined bytes, closing", t.id());
      t.abort();
    }
  }

  // After respond(): the exchange ends for the components above, and the next request is
  // read. On the I/O thread.
  void nextRequest(const ConnectionPtr& conn, HttpState& st) {
    auto& t = conn->transport();
    st.phase = HttpState::Phase::reading;
    st.idle = true;
    st.reader = std::make_unique<detail::RequestReader>(options);
    next.close(conn);
    awaitRequest(t, st);
    if (st.pipelined.empty()) return;
    const std::string bytes = std::move(st.pipelined);
    st.pipelined.clear();
    read(conn, st, bytes);
  }
};

namespace detail {

void endHttpExchange(Transport& t) {
  // Posted, never run inline: respond() may be called from inside HttpServer's own onOpen.
  t.post([self = std::static_pointer_cast<Transport>(t.shared_from_this())] {
    auto* st = self->findState<HttpState>();
    if (st && st->phase == HttpState::Phase::answering && self->isOpen())
      st->server.nextRequest(self, *st);
    else
      self->finish();
  });
}

}  // namespace detail

HttpServer::HttpServer(std::shared_ptr<HttpServerInterface> component, HttpOptions options)
    : impl_(std::make_unique<Impl>(Impl{detail::Dispatcher(std::move(component)), options})) {}

HttpServer::~HttpServer() = default;

void HttpServer::onOpen(ConnectionPtr conn) {
  auto& t = conn->transport();
  auto& st = t.emplaceState<HttpState>(this, *impl_, impl_->options);
  impl_->awaitRequest(t, st);
}

void HttpServer::onMessage(ConnectionPtr from, const Message& bytes) {
  auto& t = from->transport();
  auto* st = t.state<HttpState>(this);
  if (!st) return;
  switch (st->phase) {
    case HttpState::Phase::reading:
      return impl_->read(from, *st, bytes.data());
    case HttpState::Phase::answering:
      return impl_->hold(t, *st, bytes.data());
    case HttpState::Phase::upgraded:
      return impl_->next.message(from, bytes);
  }
}

void HttpServer::onClose(ConnectionPtr conn) {
  auto* st = conn->transport().state<HttpState>(this);
  if (st && st->phase != HttpState::Phase::reading) impl_->next.close(conn);
}

void HttpServer::onError(ConnectionPtr conn, const Error& error) {
  auto* st = conn->transport().state<HttpState>(this);
  if (st && st->phase != HttpState::Phase::reading) impl_->next.error(conn, error);
}

}  // namespace ratchet
