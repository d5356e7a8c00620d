#pragma once
// Calls a component's callbacks under the concurrency contract (framework-internal):
// directly when it is thread-safe, else one at a time through a SerialQueue. Exceptions
// from a callback go to that component's onError for the connection.

#include "ratchet/component.hpp"
#include "ratchet/log.hpp"

#include "core/serial_queue.hpp"
#include "io/transport.hpp"  // transportOf

#include <exception>
#include <memory>
#include <string>
#include <utility>

namespace ratchet::detail {

template <class Component>
class Dispatcher {
 public:
  explicit Dispatcher(std::shared_ptr<Component> component)
      : component_(std::move(component)),
        queue_(component_->isThreadSafe() ? nullptr : SerialQueue::of(*component_)) {}

  Component& component() const noexcept { return *component_; }

  void open(const ConnectionPtr& conn) const {
    call(conn, [](Component& c, const ConnectionPtr& k) { c.onOpen(k); });
  }
  void open(const ConnectionPtr& conn, std::shared_ptr<const Request> request) const {
    call(conn, [request = std::move(request)](Component& c, const ConnectionPtr& k) {
      c.onOpen(k, request);
    });
  }
  void message(const ConnectionPtr& conn, const Message& message) const {
    if (!queue_) return guarded(*component_, conn, [&] { component_->onMessage(conn, message); });
    queue_->run(
        transportOf(*conn),
        [&] { guarded(*component_, conn, [&] { component_->onMessage(conn, message); }); },
        [&] {  // the view dies with the caller's buffer: the queued task owns a copy
          return [c = component_, conn, data = message.str(), type = message.type()] {
            guarded(*c, conn, [&] { c->onMessage(conn, Message(data, type)); });
          };
        });
  }
  void close(const ConnectionPtr& conn) const {
    call(conn, [](Component& c, const ConnectionPtr& k) {
      try {
        c.onClose(k);
      } catch (const std::exception& e) {
        log::warn("conn {}: onClose threw: {}", k->id(), e.what());
      } catch (...) {
        log::warn("conn {}: onClose threw", k->id());
      }
    });
  }
  void error(const ConnectionPtr& conn, const Error& error) const {
    call(conn, [error](Component& c, const ConnectionPtr& k) { reportError(c, k, error); });
  }

 private:
  // Runs fn(component, conn) now or queued; fn owns what it captures.
  template <class Fn>
  void call(const ConnectionPtr& conn, Fn&& fn) const {
    if (!queue_) return guarded(*component_, conn, [&] { fn(*component_, conn); });
    queue_->run(
        transportOf(*conn), [&] { guarded(*component_, conn, [&] { fn(*component_, conn); }); },
        [&] {
          return [c = component_, conn, fn = std::forward<Fn>(fn)]() mutable {
            guarded(*c, conn, [&] { fn(*c, conn); });
          };
        });
  }

  template <class Fn>
  static void guarded(Component& c, const ConnectionPtr& conn, Fn&& fn) noexcept {
    try {
      fn();
    } catch (const std::exception& e) {
      reportError(c, conn,
                  Error(make_error_code(errc::callback_threw), e.what(), std::current_exception()));
    } catch (...) {
      reportError(c, conn,
                  Error(make_error_code(errc::callback_threw), "unknown exception",
                        std::current_exception()));
    }
  }

  static void reportError(Component& c, const ConnectionPtr& conn, const Error& error) noexcept {
    try {
      c.onError(conn, error);
    } catch (...) {
      // The component cannot handle its own failure: end this connection, spare the rest.
      log::warn("conn {}: onError threw while handling: {}", conn->id(), error.what());
      conn->close(close_code::internal_error, "internal error");
    }
  }

  std::shared_ptr<Component> component_;
  std::shared_ptr<SerialQueue> queue_;
};

}  // namespace ratchet::detail
