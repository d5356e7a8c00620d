#include "ratchet/ws_server.hpp"

#include "ratchet/http_response.hpp"
#include "ratchet/log.hpp"

#include "codec/permessage_deflate.hpp"
#include "codec/text.hpp"
#include "codec/ws_frame.hpp"
#include "codec/ws_handshake.hpp"
#include "core/dispatcher.hpp"
#include "io/transport.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_set>
#include <vector>

namespace ratchet {

using detail::WsOpcode;

class WsConnection;

// What the connections of one WsServer share.
struct WsLayer {
  WsLayer(std::shared_ptr<MessageComponentInterface> c, WsOptions opts)
      : component(std::move(c)), options(opts) {
    if (const auto& z = options.compression) {
      const auto within = [](int v, int lo, int hi) { return v >= lo && v <= hi; };
      if (!within(z->level, 0, 9) || !within(z->memLevel, 1, 9) ||
          !within(z->serverMaxWindowBits, 9, 15))
        throw std::invalid_argument(
            "WsOptions::compression: level must be 0-9, memLevel 1-9, serverMaxWindowBits 9-15");
    }
    if (auto* ws = dynamic_cast<const WsServerInterface*>(&component.component()))
      subprotocols = ws->getSubProtocols();
  }

  detail::Dispatcher<MessageComponentInterface> component;
  WsOptions options;
  std::vector<std::string> subprotocols;
  // Messages dropped by QueuePolicy::drop; shared with the connections, which count into it
  // from any thread.
  std::shared_ptr<std::atomic<std::uint64_t>> dropped =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  // Open connections, for broadcast(). Raw pointers: each removes itself before it dies.
  mutable std::mutex openMutex;
  std::unordered_set<WsConnection*> open;
};

/// The connection a WebSocket component sees: frames what it sends, unframes what arrives.
/// It takes the transport over after the upgrade, which then owns it while open (with the
/// application's copies). It shares its server's state while open, on the I/O thread only,
/// and lets go of it at the close: a component that keeps its connections after onClose
/// does not keep itself alive through them.
class WsConnection final : public Connection,
                           public detail::WsParserHandler,
                           public detail::StreamHandler {
  using Clock = detail::Transport::Clock;

 public:
  WsConnection(std::shared_ptr<WsLayer> server, std::shared_ptr<detail::Transport> transport,
               std::shared_ptr<const Request> request, std::string subprotocol,
               const std::optional<detail::DeflateParams>& deflate)
      : Connection(*transport),
        layer_(std::move(server)),
        queuePolicy_(layer_->options.queuePolicy),
        closeTimeout_(layer_->options.closeTimeout),
        dropped_(layer_->dropped),
        transport_(std::move(transport)),
        request_(std::move(request)),
        subprotocol_(std::move(subprotocol)),
        parser_({layer_->options.maxMessageBytes, layer_->options.maxFrameBytes}) {
    if (!deflate) return;
    deflate_ = std::make_unique<Deflate>(*deflate);
    parser_.enableInflate(*deflate);
  }

  // ---- Connection ----
  void send(const Message& m) override {
    if (state_.load(std::memory_order_acquire) != State::open) return;
    const auto op = m.isBinary() ? WsOpcode::binary : WsOpcode::text;
    bool queued;
    if (deflate_ && m.size() >= deflate_->params.minSize) {
      queued = sendCompressed(m, op);
    } else if (m.frame_ || m.sends_++ > 0 || m.size() > kCopyLimit) {
      // Sent more than once (a broadcast) or large: frame once, share the frame.
      if (!m.frame_)
        m.frame_ = std::make_shared<const std::string>(detail::makeFrame(op, m.data()));
      queued = transport_->write(m.frame_);
    } else {
      queued = queueFrame(op, m.data(), false);
    }
    if (queued || !isOpen()) return;
    if (queuePolicy_ == QueuePolicy::drop) {
      // The message is lost for this slow reader only; others are not held back.
      if (dropped_->fetch_add(1, std::memory_order_relaxed) % 1000 == 0)
        log::warn("conn {}: outgoing queue full ({} bytes buffered), dropping messages", id(),
                  transport_->bufferedAmount());
      return;
    }
    log::warn("conn {}: outgoing queue full ({} bytes buffered), closing with 1008", id(),
              transport_->bufferedAmount());
    fail(close_code::policy_violation, "send queue full", errc::queue_overflow);
  }

  void close(std::uint16_t code, std::string_view reason) override {
    auto expected = State::open;
    if (!state_.compare_exchange_strong(expected, State::closing)) return;
    // From here on sends are dropped; the close frame goes out on the I/O thread.
    transport_->dispatch([self = self(), code, reason = std::string(reason)] {
      self->sendClose(code, reason);
      if (self->closeReceived_)
        self->transport_->finish();
      else
        self->transport_->setTimer(self->closeTimeout_, [self = self.get()] {
          log::debug("conn {}: close handshake timed out", self->id());
          self->layer_->component.error(self->self(), Error(errc::close_timeout));
          self->transport_->abort();
        });
    });
  }

  const Request& request() const noexcept override { return *request_; }
  std::string_view subprotocol() const noexcept override { return subprotocol_; }
  std::size_t bufferedAmount() const noexcept override { return transport_->bufferedAmount(); }
  bool isOpen() const noexcept override {
    return state_.load(std::memory_order_acquire) == State::open;
  }

  // ---- StreamHandler: the transport's bytes, end, stop and quiet ----
  void onBytes(detail::Transport&, char* data, std::size_t size) override { received(data, size); }
  void onEnd(detail::Transport&) override { closed(); }
  void onStop(detail::Transport&) override {
    close(close_code::going_away, "server shutting down");
  }
  void onQuiet(detail::Transport&) override { parser_.shrink(); }  // give back message buffers

  // ---- driven by WsServer on the I/O thread ----
  void opened() {
    {
      std::lock_guard lock(layer_->openMutex);
      layer_->open.insert(this);
    }
    startTimers();
    layer_->component.open(self());
  }

  void received(char* data, std::size_t size) {
    heard_ = true;
    if (parser_.done()) return;
    if (const auto code = parser_.parse(data, size, *this)) {
      const auto e = code == close_code::invalid_payload ? errc::invalid_utf8
                     : code == close_code::too_big       ? errc::message_too_big
                                                         : errc::protocol_error;
      fail(code, parser_.error(), e);
    }
  }

  void closed() {
    state_.store(State::closed, std::memory_order_release);
    {
      std::lock_guard lock(layer_->openMutex);
      layer_->open.erase(this);
    }
    layer_->component.close(self());
    layer_.reset();
  }

  // ---- WsParserHandler ----
  void onWsMessage(std::string_view payload, bool binary) override {
    if (!isOpen()) return;  // after our close frame, data is discarded (RFC 6455 5.5.1)
    if (layer_->options.idleTimeout.count() > 0) lastMessage_ = transport_->now();
    layer_->component.message(
        self(), Message(payload, binary ? Message::Type::binary : Message::Type::text));
  }
  void onWsPing(std::string_view payload) override {
    if (!isOpen()) return;
    char header[detail::kMaxServerHeader];
    const auto n = detail::writeFrameHeader(header, WsOpcode::pong, payload.size());
    transport_->write(std::string_view(header, n), payload, true);
  }
  void onWsPong(std::string_view) override {}  // any input proves the peer alive (heard_)
  void onWsClose(std::uint16_t code, std::string_view reason) override {
    closeReceived_ = true;
    log::debug("conn {}: peer closed with {} '{}'", id(), code, reason);
    auto expected = State::open;
    if (state_.compare_exchange_strong(expected, State::closing)) {
      // Echo the peer's code (none if it sent none), then end TCP: the server closes first.
      sendClose(code == close_code::no_status ? 0 : code, {});
    }
    // If our own close() is still on its way to this thread, it finishes after sending.
    if (closeSent_) transport_->finish();
  }

 private:
  enum class State : std::uint8_t { open, closing, closed };
  // Messages up to this size are copied into the connection's write buffer; larger ones
  // (and any message sent twice) become one shared frame.
  // The connection's buffer is reused, so a copy costs no allocation.
  static constexpr std::size_t kCopyLimit = 16 * 1024;

  std::shared_ptr<WsConnection> self() {
    return std::static_pointer_cast<WsConnection>(shared_from_this());
  }

  // permessage-deflate's parameters, and the connection's own compressor when the server
  // keeps its context between messages (sends from any thread take turns on it).
  struct Deflate {
    explicit Deflate(const detail::DeflateParams& p) : params(p) {}
    // The settings a shared compressed frame is made with.
    std::uint16_t key() const {
      return static_cast<std::uint16_t>((params.level + 1) | params.memLevel << 4 |
                                        params.serverWindowBits << 8);
    }
    detail::DeflateParams params;
    std::mutex mutex;
    std::optional<detail::ZStream> own;
  };

  // Queues one frame whose header is built on the stack: nothing is allocated.
  bool queueFrame(WsOpcode op, std::string_view payload, bool compressed) {
    char header[detail::kMaxServerHeader];
    const auto n = detail::writeFrameHeader(header, op, payload.size(), true, compressed);
    return transport_->write(std::string_view(header, n), payload);
  }

  // Compresses `m` and queues it: with the thread's shared compressor, once for all the
  // connections a Message goes to, or with this connection's own, in order under its lock.
  // A message zlib cannot compress (no memory) goes uncompressed.
  bool sendCompressed(const Message& m, WsOpcode op) {
    thread_local std::string compressed;
    const auto& p = deflate_->params;
    const auto queue = [&](bool ok) { return queueFrame(op, ok ? compressed : m.data(), ok); };
    if (p.serverContextTakeover) {
      std::lock_guard lock(deflate_->mutex);
      if (!deflate_->own)
        deflate_->own.emplace(detail::ZStream::Kind::deflate, p.level, p.serverWindowBits,
                              p.memLevel);
      return queue(detail::deflateMessage(*deflate_->own, m.data(), true, compressed));
    }
    const auto key = deflate_->key();
    if (m.deflated_ && m.deflatedWith_ == key) return transport_->write(m.deflated_);
    const bool ok = detail::deflateMessage(detail::sharedDeflater(p), m.data(), false, compressed);
    if (!ok || (m.sends_++ == 0 && compressed.size() <= kCopyLimit)) return queue(ok);
    // Sent more than once (a broadcast) or large: frame once, share the frame.
    m.deflated_ =
        std::make_shared<const std::string>(detail::makeFrame(op, compressed, true, true));
    m.deflatedWith_ = key;
    return transport_->write(m.deflated_);
  }

  // code 0: a close frame without status.
  void sendClose(std::uint16_t code, std::string_view reason) {
    if (code != 0 && !detail::isValidCloseCode(code)) code = close_code::normal;
    closeSent_ = true;
    const auto payload = code ? detail::makeClosePayload(code, reason) : std::string();
    char header[detail::kMaxServerHeader];
    const auto n = detail::writeFrameHeader(header, WsOpcode::close, payload.size());
    transport_->write(std::string_view(header, n), payload, true);
  }

  // Fails the connection (RFC 6455 7.1.7): close frame with `code`, then end TCP.
  void fail(std::uint16_t code, std::string_view why, errc e) {
    log::debug("conn {}: closing with {}: {}", id(), code, why);
    auto expected = State::open;
    if (!state_.compare_exchange_strong(expected, State::closing)) return;
    transport_->dispatch([self = self(), code, e, why = std::string(why)] {
      if (self->layer_) self->layer_->component.error(self, Error(make_error_code(e), why));
      self->sendClose(code, why);
      self->transport_->finish();
    });
  }

  // One timer serves two limits. Keep-alive: after pingInterval of silence a ping, and
  // silence for pongTimeout after it drops the connection (any received byte counts as life,
  // so busy peers are never pinged). Idle timeout: no message for idleTimeout closes it.
  void startTimers() {
    const auto now = transport_->now();
    lastMessage_ = now;
    nextPingCheck_ = now + layer_->options.pingInterval;
    armTick(now);
  }

  void armTick(Clock::time_point now) {
    const auto& o = layer_->options;
    auto next = Clock::time_point::max();
    if (o.pingInterval.count() > 0) next = nextPingCheck_;
    if (o.idleTimeout.count() > 0) next = std::min(next, lastMessage_ + o.idleTimeout);
    if (next == Clock::time_point::max()) return;
    const auto delay = std::chrono::ceil<Duration>(next - now);
    transport_->setTimer(std::max(delay, Duration(1)), [self = self().get()] { self->tick(); });
  }

  void tick() {
    if (!isOpen()) return;
    const auto& o = layer_->options;
    const auto now = transport_->now();
    if (o.idleTimeout.count() > 0 && now - lastMessage_ >= o.idleTimeout) {
      log::debug("conn {}: no message for {} ms, closing", id(), o.idleTimeout.count());
      return close(close_code::normal, "idle timeout");
    }
    if (o.pingInterval.count() > 0 && now >= nextPingCheck_) {
      if (heard_) {
        heard_ = false;
        pingSent_ = false;
        nextPingCheck_ = now + o.pingInterval;
      } else if (pingSent_) {
        log::debug("conn {}: no answer to ping, dropping", id());
        state_.store(State::closing);  // first: onError's close() must not send anything now
        layer_->component.error(self(), Error(errc::ping_timeout));
        return transport_->abort();
      } else {
        pingSent_ = true;
        char header[detail::kMaxServerHeader];
        const auto n = detail::writeFrameHeader(header, WsOpcode::ping, 0);
        transport_->write(std::string_view(header, n), {}, true);
        nextPingCheck_ = now + o.pongTimeout;
      }
    }
    armTick(now);
  }

  std::shared_ptr<WsLayer> layer_;  // until closed(); I/O thread only
  const QueuePolicy queuePolicy_;
  const Duration closeTimeout_;
  const std::shared_ptr<std::atomic<std::uint64_t>> dropped_;
  std::shared_ptr<detail::Transport> transport_;
  std::shared_ptr<const Request> request_;
  std::string subprotocol_;
  detail::WsParser parser_;
  std::unique_ptr<Deflate> deflate_;  // with permessage-deflate only
  std::atomic<State> state_{State::open};
  bool closeReceived_ = false;  // I/O thread only, as are the flags below
  bool closeSent_ = false;
  bool heard_ = false;     // input since the last keep-alive check
  bool pingSent_ = false;  // a keep-alive ping awaits an answer
  Clock::time_point nextPingCheck_;
  Clock::time_point lastMessage_;  // of the last data message, for the idle timeout
};

struct WsServer::Impl : WsLayer {
  using WsLayer::WsLayer;
};

WsServer::WsServer(std::shared_ptr<MessageComponentInterface> component, WsOptions options)
    : impl_(std::make_shared<Impl>(std::move(component), options)) {}

WsServer::~WsServer() = default;

const WsOptions& WsServer::options() const noexcept {
  return impl_->options;
}
std::uint64_t WsServer::droppedMessages() const noexcept {
  return impl_->dropped->load();
}

std::size_t WsServer::connectionCount() const {
  std::lock_guard lock(impl_->openMutex);
  return impl_->open.size();
}

std::size_t WsServer::broadcast(const Message& message) {
  std::vector<ConnectionPtr> targets;
  {
    std::lock_guard lock(impl_->openMutex);
    targets.reserve(impl_->open.size());
    for (auto* conn : impl_->open) targets.push_back(conn->shared_from_this());
  }
  // Marked as sent before: the first send already frames (and compresses) it for all.
  if (targets.size() > 1) message.sends_ = std::max<std::uint32_t>(message.sends_, 1);
  std::size_t sent = 0;
  for (const auto& conn : targets) {
    if (!conn->isOpen()) continue;
    conn->send(message);  // the first sends frame the message once for all
    ++sent;
  }
  return sent;
}

void WsServer::onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) {
  const auto check = detail::checkUpgradeRequest(*request);
  if (check.status != 101) {
    log::debug("conn {}: handshake refused ({}): {}", conn->id(), check.status, check.reason);
    HttpResponse refusal = HttpResponse::text(check.reason + "\n", check.status);
    for (const auto& [name, value] : check.headers) refusal.header(name, value);
    return respondAndClose(conn, refusal);
  }
  auto subprotocol = detail::negotiateSubprotocol(*request, impl_->subprotocols);
  if (subprotocol.empty() && impl_->options.strictSubprotocols &&
      detail::offersSubprotocols(*request))
    return respondAndClose(
        conn, HttpResponse::text("Bad request: no supported subprotocol offered\n", 400));
  auto* transport = detail::transportOf(*conn);
  if (!transport) {
    log::error("conn {}: WsServer needs a connection made by HttpServer", conn->id());
    return respondAndClose(conn, HttpResponse::text("Internal server error\n", 500));
  }

  std::optional<detail::DeflateAgreement> deflate;
  if (impl_->options.compression)
    deflate = detail::negotiateDeflate(*request, *impl_->options.compression);
  transport->write(
      detail::upgradeResponse(
          detail::webSocketAccept(detail::trim(request->header("sec-websocket-key"))), subprotocol,
          deflate ? std::string_view(deflate->response) : std::string_view()),
      {}, true);
  auto ws = std::make_shared<WsConnection>(
      impl_, std::static_pointer_cast<detail::Transport>(transport->shared_from_this()),
      std::move(request), std::move(subprotocol),
      deflate ? std::optional(deflate->params) : std::nullopt);
  transport->handOver(ws);  // from here on the frames go straight to `ws`
  log::debug("conn {}: WebSocket open on {}", ws->id(), ws->request().target());
  ws->opened();
}

// A WebSocket's end goes to its component through the connection itself: WsServer sees
// onClose and onError only for requests it refused.
void WsServer::onClose(ConnectionPtr) {}

void WsServer::onError(ConnectionPtr conn, const Error& error) {
  log::debug("conn {}: {}", conn->id(), error.what());
}

}  // namespace ratchet
