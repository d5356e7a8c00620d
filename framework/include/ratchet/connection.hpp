#pragma once
// Connection: the handle a component uses to talk to one client.

#include "ratchet/message.hpp"
#include "ratchet/request.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ratchet {

class Connection;
namespace detail {
class Transport;
Transport* transportOf(const Connection& conn) noexcept;
}  // namespace detail

/// One client connection as seen by a component. Cheap to copy as ConnectionPtr and safe to
/// keep in a std::set; compares by identity.
///
/// Ownership: the framework owns the connection while the client is connected; components
/// hold ConnectionPtr copies as long as they like. After onClose every operation is a no-op
/// (sends are dropped, close does nothing), never a crash.
///
/// Threads: send, sendBinary, close and bufferedAmount may be called from any thread. The
/// user data (data<T>()) is meant for the component's own callbacks, which the framework
/// serialises; guard it yourself if you touch it from other threads.
///
/// Testing: derive from it (the protected constructor takes an id and an address) to hand a
/// component a connection of your own; ratchet/test_connection.hpp has one that records
/// what the component sends.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  virtual ~Connection();

  /// Sends a text message (UTF-8 is the caller's promise).
  void send(std::string_view text) { send(Message::text(text)); }
  void send(const char* text) { send(Message::text(text)); }
  /// Sends a message with its own type (text or binary).
  virtual void send(const Message& message) = 0;
  /// Sends a binary message.
  void sendBinary(std::string_view bytes) { send(Message::binary(bytes)); }

  /// Closes normally (1000): queued messages are flushed first.
  void close() { close(1000); }
  /// Closes with a WebSocket status code and reason (ignored by transports without codes).
  virtual void close(std::uint16_t code, std::string_view reason = {}) = 0;

  /// Unique for the life of the process, assigned at accept time.
  std::uint64_t id() const noexcept { return id_; }
  /// The peer's IP address, e.g. "127.0.0.1" or "::1".
  const std::string& remoteAddress() const noexcept { return remoteAddress_; }
  std::uint16_t remotePort() const noexcept { return remotePort_; }

  /// The HTTP request that opened this connection; empty for raw TCP connections.
  virtual const Request& request() const noexcept;
  /// The negotiated WebSocket subprotocol; empty when none was agreed.
  virtual std::string_view subprotocol() const noexcept { return {}; }
  /// Bytes queued for this client and not yet handed to the kernel.
  virtual std::size_t bufferedAmount() const noexcept = 0;
  /// False once the connection has started closing.
  virtual bool isOpen() const noexcept = 0;

  /// Per-connection user data of type T, default-constructed on first use.
  template <class T>
  T& data() {
    if (T* existing = findData<T>()) return *existing;
    return setData<T>(T{});
  }
  /// Stores `value` as this connection's T, replacing any previous one.
  template <class T>
  T& setData(T value) {
    auto holder = std::make_unique<Holder<T>>(std::move(value));
    T& ref = holder->value;
    for (auto& slot : userData_)
      if (slot.first == key<T>()) return slot.second = std::move(holder), ref;
    userData_.emplace_back(key<T>(), std::move(holder));
    return ref;
  }
  /// This connection's T, or nullptr when none was stored.
  template <class T>
  T* findData() noexcept {
    for (auto& slot : userData_)
      if (slot.first == key<T>()) return &static_cast<Holder<T>&>(*slot.second).value;
    return nullptr;
  }

 protected:
  /// A connection of your own, e.g. a test double.
  Connection(std::uint64_t id, std::string remoteAddress, std::uint16_t remotePort)
      : id_(id), remoteAddress_(std::move(remoteAddress)), remotePort_(remotePort) {}
  /// A protocol layer's connection on top of `transport` (framework-internal).
  explicit Connection(detail::Transport& transport);
  Connection(detail::Transport& transport, std::uint64_t id, std::string remoteAddress,
             std::uint16_t remotePort)
      : transport_(&transport),
        id_(id),
        remoteAddress_(std::move(remoteAddress)),
        remotePort_(remotePort) {}

 private:
  friend detail::Transport* detail::transportOf(const Connection& conn) noexcept;
  struct HolderBase {
    virtual ~HolderBase() = default;
  };
  template <class T>
  struct Holder final : HolderBase {
    explicit Holder(T v) : value(std::move(v)) {}
    T value;
  };
  template <class T>
  static const void* key() noexcept {
    static const char tag = 0;
    return &tag;
  }

  detail::Transport* transport_ = nullptr;  // the bytes underneath; none for a test double
  std::uint64_t id_;
  std::string remoteAddress_;
  std::uint16_t remotePort_;
  std::vector<std::pair<const void*, std::unique_ptr<HolderBase>>> userData_;
};

using ConnectionPtr = std::shared_ptr<Connection>;

}  // namespace ratchet
