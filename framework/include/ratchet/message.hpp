#pragma once
// A WebSocket message (or, under a bare IoServer, a chunk of bytes) as a component sees it.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ratchet {

/// A non-owning view of one message's payload plus its type.
///
/// Lifetime: a Message handed to onMessage is valid only for the duration of that call;
/// copy `str()` to keep it. A Message you build from your own string is valid while that
/// string is. Sending the same Message object to many connections frames it once (and
/// compresses it once, for those with permessage-deflate) and shares the frame between
/// their queues; do not send one Message from several threads at once.
class Message {
 public:
  enum class Type : std::uint8_t { text, binary };

  Message() noexcept = default;
  explicit Message(std::string_view payload, Type type = Type::text) noexcept
      : data_(payload), type_(type) {}

  static Message text(std::string_view payload) noexcept { return Message(payload, Type::text); }
  static Message binary(std::string_view payload) noexcept {
    return Message(payload, Type::binary);
  }

  std::string_view data() const noexcept { return data_; }
  std::size_t size() const noexcept { return data_.size(); }
  bool empty() const noexcept { return data_.empty(); }
  Type type() const noexcept { return type_; }
  bool isText() const noexcept { return type_ == Type::text; }
  bool isBinary() const noexcept { return type_ == Type::binary; }
  std::string str() const { return std::string(data_); }
  operator std::string_view() const noexcept { return data_; }

  friend bool operator==(const Message& m, std::string_view s) noexcept { return m.data_ == s; }

 private:
  friend class WsConnection;
  friend class WsServer;
  std::string_view data_;
  Type type_ = Type::text;
  // WebSocket frame of this message, built on its second send (first, in a broadcast) and
  // shared by all later ones; the same for its compressed frame, with the compression
  // settings it was made with.
  mutable std::shared_ptr<const std::string> frame_;
  mutable std::shared_ptr<const std::string> deflated_;
  mutable std::uint32_t sends_ = 0;
  mutable std::uint16_t deflatedWith_ = 0;
};

}  // namespace ratchet
