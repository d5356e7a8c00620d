#pragma once
// TestConnection: a Connection for unit tests of your own components, with no server.

#include "ratchet/connection.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ratchet {

/// Records what a component does with it: hand it to onOpen/onMessage/onClose and look at
/// sent() and closeCode() afterwards.
///
///     auto alice = std::make_shared<ratchet::TestConnection>(1);
///     chat.onOpen(alice);
///     chat.onMessage(alice, ratchet::Message::text("hi"));
///     CHECK(bob->sent().back().data == "hi");
///
/// Not thread-safe: meant for a test's own thread. An HTTP component's respond() arrives as
/// one binary message holding the whole response, then close() unless it is kept alive.
class TestConnection : public Connection {
 public:
  struct Sent {
    std::string data;
    Message::Type type;
  };

  explicit TestConnection(std::uint64_t id = 1, std::string remoteAddress = "127.0.0.1",
                          std::uint16_t remotePort = 50000, Request request = {},
                          std::string subprotocol = {})
      : Connection(id, std::move(remoteAddress), remotePort),
        request_(std::move(request)),
        subprotocol_(std::move(subprotocol)) {}

  void send(const Message& message) override {
    if (open_) sent_.push_back({message.str(), message.type()});
  }
  void close(std::uint16_t code, std::string_view reason = {}) override {
    if (!open_) return;
    open_ = false;
    closeCode_ = code;
    closeReason_ = reason;
  }
  using Connection::close;
  using Connection::send;
  const Request& request() const noexcept override { return request_; }
  std::string_view subprotocol() const noexcept override { return subprotocol_; }
  std::size_t bufferedAmount() const noexcept override { return 0; }
  bool isOpen() const noexcept override { return open_; }

  /// Every message sent while open, in order.
  const std::vector<Sent>& sent() const noexcept { return sent_; }
  /// The texts of the messages sent, in order.
  std::vector<std::string> texts() const {
    std::vector<std::string> out;
    for (const auto& s : sent_) out.push_back(s.data);
    return out;
  }
  /// The code close() was called with; 0 while open.
  std::uint16_t closeCode() const noexcept { return closeCode_; }
  const std::string& closeReason() const noexcept { return closeReason_; }

 private:
  Request request_;
  std::string subprotocol_;
  std::vector<Sent> sent_;
  bool open_ = true;
  std::uint16_t closeCode_ = 0;
  std::string closeReason_;
};

}  // namespace ratchet
