#pragma once
// The byte transport under every connection (framework-internal). IoServer's TCP
// connection implements it; a TLS transport will too. Protocol layers (HttpServer, Router,
// WsServer, ...) keep their per-connection state on it and write through it.

#include "ratchet/connection.hpp"
#include "ratchet/options.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ratchet::detail {

class Transport : public Connection {
 public:
  /// Per-layer state, created by a layer on onOpen and destroyed with the transport.
  struct LayerState {
    virtual ~LayerState() = default;
  };

  Transport& transport() noexcept final { return *this; }

  // Writing. All thread-safe. Return false, and queue nothing, when the bytes would push the
  // outgoing queue past IoOptions::maxQueuedBytes (unless `force`), or the transport closed.
  virtual bool write(std::string_view a, std::string_view b = {}, bool force = false) = 0;
  virtual bool write(std::shared_ptr<const std::string> bytes, bool force = false) = 0;

  /// Flushes what is queued, then ends the TCP connection (FIN, then waits for the peer's
  /// FIN up to the linger timeout). Thread-safe; idempotent.
  virtual void finish() = 0;
  /// Drops the connection now. Thread-safe; idempotent.
  virtual void abort() = 0;
  /// Gives back the memory kept for reuse by writes, when nothing is queued: for a
  /// connection that has gone quiet. Call on the I/O thread.
  virtual void releaseBuffers() {}

  /// Runs `fn` once after `delay` on this connection's I/O thread, replacing any timer set
  /// before; cancelled when the transport closes. Call on the I/O thread.
  virtual void setTimer(Duration delay, std::function<void()> fn) = 0;
  virtual void cancelTimer() = 0;

  /// True on the I/O thread that owns this connection.
  virtual bool onIoThread() const noexcept = 0;
  /// Runs `fn` on the owning I/O thread (later, even when called from it).
  virtual void post(std::function<void()> fn) = 0;
  /// Runs `fn` now when on the owning I/O thread, else posts it there.
  void dispatch(std::function<void()> fn) {
    if (onIoThread())
      fn();
    else
      post(std::move(fn));
  }

  /// The connection the application sees on top of this transport (e.g. the WebSocket
  /// connection); a graceful server stop calls its close(1001). Set on the I/O thread.
  void setUpper(std::weak_ptr<Connection> upper) { upper_ = std::move(upper); }
  ConnectionPtr upper() const noexcept {
    if (auto u = upper_.lock()) return u;
    return std::const_pointer_cast<Connection>(shared_from_this());
  }

  /// The state `owner` keeps for this connection, or nullptr. I/O thread only.
  template <class T>
  T* state(const void* owner) const noexcept {
    for (auto& [key, value] : states_)
      if (key == owner) return static_cast<T*>(value.get());
    return nullptr;
  }
  /// The first state of type T, whoever owns it, or nullptr. I/O thread only.
  template <class T>
  T* findState() const noexcept {
    for (auto& entry : states_)
      if (auto* s = dynamic_cast<T*>(entry.second.get())) return s;
    return nullptr;
  }
  /// Adds the state `owner` keeps for this connection. Layers that serve plain HTTP requests
  /// erase it on onClose, since a keep-alive connection opens again for its next request.
  template <class T, class... Args>
  T& emplaceState(const void* owner, Args&&... args) {
    auto value = std::make_unique<T>(std::forward<Args>(args)...);
    T& ref = *value;
    states_.emplace_back(owner, std::move(value));
    return ref;
  }
  /// Drops the state `owner` keeps (a keep-alive request ended). I/O thread only.
  void eraseState(const void* owner) noexcept {
    std::erase_if(states_, [owner](auto& s) { return s.first == owner; });
  }

 protected:
  using Connection::Connection;
  void clearStates() noexcept { states_.clear(); }

 private:
  std::weak_ptr<Connection> upper_;
  std::vector<std::pair<const void*, std::unique_ptr<LayerState>>> states_;
};

}  // namespace ratchet::detail
