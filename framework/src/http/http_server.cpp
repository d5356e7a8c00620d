#include "ratchet/http_server.hpp"

#include "ratchet/http_response.hpp"
#include "ratchet/log.hpp"

#include "codec/request_reader.hpp"
#include "core/dispatcher.hpp"
#include "http/http_connection.hpp"
#include "io/transport.hpp"

#include <atomic>
#include <memory>

namespace ratchet {

using detail::Transport;

namespace {

// What the sessions of one HttpServer share.
struct HttpLayer {
  detail::Dispatcher<HttpServerInterface> next;
  HttpOptions options;
};

class HttpSession;

// One request and its answer: the connection the component above sees for it.
class Exchange final : public detail::HttpConnection {
 public:
  Exchange(std::shared_ptr<HttpSession> session, Transport& transport,
           std::shared_ptr<const Request> request)
      : HttpConnection(transport), session_(std::move(session)), request_(std::move(request)) {}

  void send(const Message& m) override;
  void close(std::uint16_t, std::string_view) override;
  const Request& request() const noexcept override { return *request_; }
  std::size_t bufferedAmount() const noexcept override;
  bool isOpen() const noexcept override;
  void respond(std::string bytes, bool keepAlive) override;

  const std::shared_ptr<const Request>& sharedRequest() const noexcept { return request_; }

 private:
  const std::shared_ptr<HttpSession> session_;
  const std::shared_ptr<const Request> request_;
  std::atomic<bool> answered_{false};
};

// Reads the requests of one connection, one at a time, and hands each to the component.
// Takes the transport over from IoServer's feed; hands it over in turn to a component that
// switches protocols (WsServer after an upgrade), and is then gone.
class HttpSession final : public detail::StreamHandler,
                          public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(std::shared_ptr<const HttpLayer> server, Transport& transport)
      : layer_(std::move(server)),
        transport_(std::static_pointer_cast<Transport>(transport.shared_from_this())),
        reader_(std::make_unique<detail::RequestReader>(layer_->options)) {}

  Transport& transport() const noexcept { return *transport_; }

  void start() { awaitRequest(); }

  void onBytes(Transport&, char* data, std::size_t size) override {
    const std::string_view bytes(data, size);
    if (current_)
      hold(bytes);
    else
      read(bytes);
  }

  void onEnd(Transport&) override {
    if (auto exchange = std::move(current_)) layer_->next.close(exchange);
    // Nothing reaches the server after the end: a component that keeps its connections
    // must not keep itself alive through them.
    layer_.reset();
  }

  // The component answered `exchange`: it is over for the components above, and the next
  // request is read. On the I/O thread.
  void answered(const Exchange* exchange) {
    if (current_.get() != exchange || !transport_->isOpen()) return;
    layer_->next.close(std::move(current_));
    idle_ = true;
    reader_ = std::make_unique<detail::RequestReader>(layer_->options);
    awaitRequest();
    if (pipelined_.empty()) return;
    const std::string bytes = std::move(pipelined_);
    pipelined_.clear();
    read(bytes);
  }

 private:
  void awaitRequest() {
    if (idle_) {
      transport_->setTimer(layer_->options.keepAliveTimeout, [t = transport_.get()] {
        log::debug("conn {}: keep-alive connection idle, closing", t->id());
        t->finish();
      });
    } else {
      transport_->setTimer(layer_->options.handshakeTimeout, [this] {
        log::debug("conn {}: no complete HTTP request in time", transport_->id());
        refuse(408, "Request timeout");
      });
    }
  }

  void read(std::string_view bytes) {
    if (idle_) {  // the next request begins: it has handshakeTimeout to arrive whole
      idle_ = false;
      awaitRequest();
    }
    auto result = reader_->feed(bytes);
    using Kind = detail::RequestReader::Result::Kind;
    if (result.kind == Kind::needMore) {
      if (result.sendContinue) transport_->write("HTTP/1.1 100 Continue\r\n\r\n", {}, true);
      return;
    }
    transport_->cancelTimer();
    if (result.kind == Kind::error) {
      log::debug("conn {}: HTTP {}: {}", transport_->id(), result.status, result.why);
      return refuse(result.status, result.why);
    }
    reader_.reset();
    current_ = std::make_shared<Exchange>(shared_from_this(), *transport_, result.request);
    auto self = shared_from_this();  // the component may hand the transport over
    layer_->next.open(current_, std::move(result.request));
    if (transport_->handler() != this) {
      // Taken over (a WebSocket): the exchange is over for good (it and this session would
      // otherwise keep each other alive), and what followed the request is the new protocol's.
      current_.reset();
      if (!result.rest.empty() && transport_->handler())
        transport_->handler()->onBytes(*transport_, result.rest.data(), result.rest.size());
      return;
    }
    if (!result.rest.empty()) hold(result.rest);
  }

  // Requests the client pipelines behind one being answered wait their turn.
  void hold(std::string_view bytes) {
    pipelined_.append(bytes);
    // More than a whole request of the largest size waiting: the client is not pipelining
    // requests but flooding.
    if (pipelined_.size() > layer_->options.maxHeaderBytes + layer_->options.maxBodyBytes) {
      log::debug("conn {}: too many pipelined bytes, closing", transport_->id());
      transport_->abort();
    }
  }

  void refuse(int status, std::string_view why) {
    transport_->write(HttpResponse::text(std::string(why) + "\n", status).serialize(true, false),
                      {}, true);
    transport_->finish();
  }

  std::shared_ptr<const HttpLayer> layer_;  // until the end; I/O thread only
  const std::shared_ptr<Transport> transport_;
  // Only while a request is read: most connections upgrade, and then this is gone.
  std::unique_ptr<detail::RequestReader> reader_;
  std::shared_ptr<Exchange> current_;  // the request being answered
  bool idle_ = false;                  // keep-alive: no byte of the next request yet
  std::string pipelined_;              // bytes that came while a request was answered
};

void Exchange::send(const Message& m) {
  session_->transport().write(m.data(), {}, true);
}
void Exchange::close(std::uint16_t, std::string_view) {
  session_->transport().finish();
}
std::size_t Exchange::bufferedAmount() const noexcept {
  return session_->transport().bufferedAmount();
}
bool Exchange::isOpen() const noexcept {
  return !answered_ && session_->transport().isOpen();
}

void Exchange::respond(std::string bytes, bool keepAlive) {
  if (answered_.exchange(true)) return;
  auto& t = session_->transport();
  t.write(bytes, {}, true);
  if (!keepAlive) return t.finish();
  // Posted, never run inline: respond() may be called from inside the session's own onBytes.
  t.post([session = session_, self = std::static_pointer_cast<Exchange>(shared_from_this())] {
    session->answered(self.get());
  });
}

}  // namespace

struct HttpServer::Impl : HttpLayer {};

HttpServer::HttpServer(std::shared_ptr<HttpServerInterface> component, HttpOptions options)
    : impl_(std::make_shared<Impl>(Impl{{detail::Dispatcher(std::move(component)), options}})) {}

HttpServer::~HttpServer() = default;

void HttpServer::onOpen(ConnectionPtr conn) {
  auto* transport = detail::transportOf(*conn);
  if (!transport) {
    log::error("conn {}: HttpServer needs a connection made by IoServer", conn->id());
    return conn->close();
  }
  auto session = std::make_shared<HttpSession>(impl_, *transport);
  transport->handOver(session);
  session->start();
}

void HttpServer::onMessage(ConnectionPtr, const Message&) {}
void HttpServer::onClose(ConnectionPtr) {}
void HttpServer::onError(ConnectionPtr conn, const Error& error) {
  log::warn("conn {}: {}", conn->id(), error.what());
}

}  // namespace ratchet
