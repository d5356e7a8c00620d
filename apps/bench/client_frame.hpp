#pragma once
// The client side of RFC 6455 framing: masked frames to the server, and an incremental
// parser of the server's (unmasked) frames that streams data payload chunks without copies.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bench {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA
};

/// The mask key of every client frame. RFC 6455 wants it unpredictable against proxies; on
/// loopback a fixed key is harmless and lets frames be masked once and reused.
inline constexpr unsigned char kMaskKey[4] = {0x37, 0xfa, 0x21, 0x3d};
/// Largest client frame header: 2 + 8 (length) + 4 (mask key).
inline constexpr std::size_t kMaxClientHeader = 14;

/// Writes a masked, FIN frame header with kMaskKey into `out`; returns its length.
/// `compressed` sets RSV1: a permessage-deflate message (RFC 7692 section 6).
std::size_t writeClientHeader(char* out, Opcode opcode, std::uint64_t payloadSize,
                              bool compressed = false) noexcept;
/// XORs `n` payload bytes with kMaskKey; `offset` is the payload position of `p`.
void applyMask(char* p, std::size_t n, std::uint64_t offset = 0) noexcept;
/// Appends a whole masked frame.
void appendClientFrame(std::string& out, Opcode opcode, std::string_view payload);

/// What FrameParser reports.
class FrameHandler {
 public:
  virtual ~FrameHandler() = default;
  /// `n` bytes of a data message's payload at `offset` within the message.
  virtual void onData(const char* p, std::size_t n, std::uint64_t offset) = 0;
  /// The data message is complete (its last frame had FIN).
  virtual void onMessageEnd(Opcode type, std::uint64_t size) = 0;
  virtual void onPing(std::string_view payload) = 0;
  /// A close frame; code 1005 when it had no payload.
  virtual void onClose(std::uint16_t code) = 0;
  /// A whole permessage-deflate message (RSV1 on its first frame), still compressed, when
  /// FrameParser::acceptCompressed is on. Returns an error text, or empty.
  virtual std::string_view onCompressedMessage(Opcode type, std::string_view payload) = 0;
};

/// Parses the server-to-client stream. Returns an error text on the first protocol
/// violation (masked frame, reserved bits or opcodes, bad fragmentation, bad control
/// frame); after an error or a close frame, further input is ignored.
class FrameParser {
 public:
  std::string_view parse(const char* data, std::size_t size, FrameHandler& handler);
  void reset() { *this = FrameParser(); }
  /// permessage-deflate was agreed: RSV1 on a message's first frame marks it compressed; its
  /// payload is gathered and handed to onCompressedMessage once complete.
  void acceptCompressed() noexcept { compressedAllowed_ = true; }
  /// Ignores all further input (the connection failed).
  void stop() noexcept { done_ = true; }

 private:
  std::string_view startFrame();

  unsigned char header_[10] = {};
  std::size_t headerSize_ = 0;
  std::size_t headerNeeded_ = 2;
  bool inFrame_ = false;
  Opcode frameOpcode_ = Opcode::continuation;
  bool fin_ = false;
  std::uint64_t remaining_ = 0;
  bool inMessage_ = false;  // a fragmented data message is open
  Opcode messageType_ = Opcode::text;
  std::uint64_t messageOffset_ = 0;
  std::string control_;
  bool compressedAllowed_ = false;
  bool messageCompressed_ = false;
  std::string compressed_;  // the compressed message being gathered
  bool done_ = false;
};

}  // namespace bench
