#pragma once
// Feeds a transport's bytes to a MessageComponentInterface as messages (framework-internal):
// how IoServer talks to its component, a raw-TCP application or HttpServer.

#include "core/dispatcher.hpp"
#include "io/transport.hpp"

namespace ratchet::detail {

/// One per server, shared by all its connections.
class ComponentFeed final : public StreamHandler {
 public:
  explicit ComponentFeed(std::shared_ptr<MessageComponentInterface> component)
      : dispatcher_(std::move(component)) {}

  /// Hands `transport` to the component: its onOpen now, its messages and onClose after
  /// (unless the component hands the transport over to a protocol layer of its own).
  static void open(const std::shared_ptr<ComponentFeed>& feed, Transport& transport) {
    transport.handOver(feed);
    feed->dispatcher_.open(transport.shared_from_this());
  }

  void onBytes(Transport& t, char* data, std::size_t size) override {
    dispatcher_.message(t.shared_from_this(), Message::binary(std::string_view(data, size)));
  }
  void onEnd(Transport& t) override { dispatcher_.close(t.shared_from_this()); }

 private:
  Dispatcher<MessageComponentInterface> dispatcher_;
};

}  // namespace ratchet::detail
