#pragma once
// The byte transport under every connection (framework-internal): TCP, TLS over TCP, or an
// in-memory one in tests. A transport carries bytes and nothing else: it reads, queues
// writes, runs one timer, and posts work to its I/O thread. What it receives goes to one
// StreamHandler at a time; a protocol layer that takes the connection over for good (HTTP
// after accept, WebSocket after an upgrade) says so with handOver(), and from then on the
// bytes go straight to it, with the layers below out of the path.

#include "ratchet/connection.hpp"
#include "ratchet/options.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ratchet::detail {

class Transport;

/// What a transport feeds. Called on the transport's I/O thread only.
class StreamHandler {
 public:
  /// Bytes received, in a buffer the handler may modify (a WebSocket unmasks in place) and
  /// that is valid until it returns.
  virtual void onBytes(Transport& transport, char* data, std::size_t size) = 0;
  /// The transport has closed: the last call, exactly once.
  virtual void onEnd(Transport& transport) = 0;
  /// The server is stopping: close gracefully (a WebSocket says 1001 Going Away).
  virtual void onStop(Transport& transport);
  /// Nothing has been received for a while: give back memory kept for speed.
  virtual void onQuiet(Transport&) {}

 protected:
  ~StreamHandler() = default;
};

/// A transport is also the Connection a raw-bytes component sees (IoServer(chat)): send()
/// writes the bytes as they are, close() ends the connection.
class Transport : public Connection {
 public:
  using Clock = std::chrono::steady_clock;

  // ---- writing; all thread-safe ----
  /// Queues `a` then `b`. Returns false, and queues nothing, when the bytes would push the
  /// outgoing queue past IoOptions::maxQueuedBytes (unless `force`) or the transport closed.
  virtual bool write(std::string_view a, std::string_view b = {}, bool force = false) = 0;
  /// Queues a buffer shared with other connections (a broadcast frame), without a copy.
  virtual bool write(std::shared_ptr<const std::string> bytes, bool force = false) = 0;
  /// Flushes what is queued, then ends the connection (TCP: FIN, then waits for the peer's
  /// up to the linger timeout). Idempotent.
  virtual void finish() = 0;
  /// Drops the connection now. Idempotent.
  virtual void abort() = 0;

  // ---- the I/O thread ----
  /// Runs `fn` once after `delay` on the I/O thread, replacing any timer set before;
  /// cancelled when the transport closes. One timer per connection: each protocol layer
  /// uses it in its turn. I/O thread only.
  virtual void setTimer(Duration delay, std::function<void()> fn) = 0;
  virtual void cancelTimer() = 0;
  /// The time timers count in (a test transport's is virtual).
  virtual Clock::time_point now() const noexcept { return Clock::now(); }
  /// True on the I/O thread that owns this connection.
  virtual bool onIoThread() const noexcept = 0;
  /// Runs `fn` on the owning I/O thread, later (even when called from it). Thread-safe.
  virtual void post(std::function<void()> fn) = 0;
  /// Runs `fn` now on the owning I/O thread, else posts it there. Thread-safe.
  void dispatch(std::function<void()> fn) {
    if (onIoThread())
      fn();
    else
      post(std::move(fn));
  }
  // ---- the hand-over; I/O thread only ----
  /// From now on received bytes, the end and a server stop go to `handler`; the layer that
  /// had the connection gets no further event for it. May be called from inside the
  /// current handler's onBytes (it stays alive until that returns).
  void handOver(std::shared_ptr<StreamHandler> handler) {
    if (delivering_) retired_.push_back(std::move(handler_));
    handler_ = std::move(handler);
  }
  StreamHandler* handler() const noexcept { return handler_.get(); }
  /// A graceful server stop: the handler closes the connection its way.
  void stop() {
    if (handler_)
      handler_->onStop(*this);
    else
      finish();
  }

  // ---- Connection, for raw-bytes components ----
  void send(const Message& message) override;
  void close(std::uint16_t, std::string_view) override { finish(); }

 protected:
  Transport(std::uint64_t id, std::string remoteAddress, std::uint16_t remotePort)
      : Connection(*this, id, std::move(remoteAddress), remotePort) {}

  /// Hands received bytes to the handler.
  void received(char* data, std::size_t size) {
    if (!handler_) return;
    delivering_ = true;
    handler_->onBytes(*this, data, size);
    delivering_ = false;
    retired_.clear();
  }
  /// Reports the end to the handler, once, and lets it go (it may own this transport).
  void ended() {
    if (auto handler = std::move(handler_)) handler->onEnd(*this);
    retired_.clear();
  }
  void quiet() {
    if (handler_) handler_->onQuiet(*this);
  }

 private:
  std::shared_ptr<StreamHandler> handler_;
  std::vector<std::shared_ptr<StreamHandler>> retired_;  // handed over during onBytes
  bool delivering_ = false;
};

inline void StreamHandler::onStop(Transport& transport) {
  transport.finish();
}

/// The transport under `conn`, or nullptr for a connection the framework did not make
/// (a user's test double).
inline Transport* transportOf(const Connection& conn) noexcept {
  return conn.transport_;
}

}  // namespace ratchet::detail
