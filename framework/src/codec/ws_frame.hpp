#pragma once
// The WebSocket wire format (RFC 6455 section 5), sans I/O: a streaming parser for frames
// from clients and writers for frames from the server.

#include "codec/permessage_deflate.hpp"
#include "codec/utf8.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ratchet::detail {

enum class WsOpcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

/// Largest header a server frame needs: 2 bytes + 8-byte extended length (no mask).
inline constexpr std::size_t kMaxServerHeader = 10;

/// Writes an unmasked server frame header into `out` and returns its length (2, 4 or 10).
/// `compressed` sets RSV1, which marks a permessage-deflate message (RFC 7692 6).
std::size_t writeFrameHeader(char* out, WsOpcode opcode, std::uint64_t payloadSize, bool fin = true,
                             bool compressed = false) noexcept;
/// Appends a whole unmasked frame (header + payload) to `out`.
void appendFrame(std::string& out, WsOpcode opcode, std::string_view payload, bool fin = true,
                 bool compressed = false);
/// A whole unmasked frame as a new string.
std::string makeFrame(WsOpcode opcode, std::string_view payload, bool fin = true,
                      bool compressed = false);
/// A close frame's payload: 2-byte code in network order + reason (truncated to fit 125).
std::string makeClosePayload(std::uint16_t code, std::string_view reason);

/// True for codes an endpoint may send in a close frame: 1000-1003, 1007-1011 and
/// 3000-4999 (RFC 6455 section 7.4 and its IANA registry as RFC 6455 left it).
bool isValidCloseCode(std::uint16_t code) noexcept;

/// What WsParser reports. Views point into the caller's buffer or the parser's own
/// message buffer and are valid only during the callback.
class WsParserHandler {
 public:
  virtual ~WsParserHandler() = default;
  virtual void onWsMessage(std::string_view payload, bool binary) = 0;
  virtual void onWsPing(std::string_view payload) = 0;
  virtual void onWsPong(std::string_view payload) = 0;
  /// A valid close frame; code is 1005 when the frame had no payload.
  virtual void onWsClose(std::uint16_t code, std::string_view reason) = 0;
};

/// Parses the client-to-server byte stream incrementally: bytes may arrive split anywhere,
/// one at a time or many frames at once. Payloads are unmasked in place in the caller's
/// buffer. A single unfragmented message that arrives whole in one parse() call is reported
/// as a view of that buffer (no copy); otherwise payload is gathered into an internal
/// buffer. Text is UTF-8-validated as bytes arrive, so invalid text fails at the offending
/// byte, not at the end of the message.
///
/// With permessage-deflate negotiated (enableInflate), RSV1 on a message's first frame marks
/// it compressed: its payload is inflated as it arrives, into the message buffer, within
/// maxMessageBytes, and text is validated on the inflated bytes.
///
/// On the first violation parse() returns the close code to fail the connection with
/// (1002 protocol error, 1007 invalid payload, 1009 too big, 1011 no memory for zlib) and
/// sets error(); after that the parser ignores all input. After a close frame is reported
/// it ignores input too.
class WsParser {
 public:
  struct Limits {
    std::size_t maxMessageBytes = 16 * 1024 * 1024;
    std::size_t maxFrameBytes = 16 * 1024 * 1024;
  };

  // Two constructors, not `Limits limits = {}`: g++ rejects a default argument that uses a
  // nested class's default member initializers before the enclosing class is complete.
  WsParser() noexcept : WsParser(Limits{}) {}
  explicit WsParser(Limits limits) noexcept : limits_(limits) {}

  /// Consumes all `size` bytes at `data` (which it may modify). Returns 0 while the stream
  /// is valid, else the close code to fail with. Calls `handler` for each complete event.
  std::uint16_t parse(char* data, std::size_t size, WsParserHandler& handler);

  /// Why parsing failed, for a close reason and a log line; empty while valid.
  std::string_view error() const noexcept { return error_; }
  /// True after a close frame was reported or a violation found.
  bool done() const noexcept { return done_; }
  /// Releases the memory of internal buffers while idle (between messages), and zlib's
  /// state where the client does not keep its compression context.
  void shrink() noexcept;
  /// Accepts compressed messages (RSV1) with the negotiated parameters.
  void enableInflate(const DeflateParams& params) {
    inflater_ = std::make_unique<MessageInflater>(params);
  }

 private:
  // Implementation state; see ws_frame.cpp.
  std::uint16_t fail(std::uint16_t code, std::string_view why) noexcept;
  std::uint16_t readHeader(const char* data, std::size_t size, std::size_t& pos) noexcept;
  std::uint16_t checkFirstBytes() noexcept;
  std::uint16_t checkLength() noexcept;
  std::uint16_t deliver(std::string_view payload, WsParserHandler& handler);
  std::uint16_t inflate(std::string_view in, bool last);

  Limits limits_;
  // Frame header being assembled (up to 14 bytes).
  unsigned char header_[14] = {};
  std::uint8_t headerSize_ = 0;
  // Current frame.
  bool inFrame_ = false;
  bool fin_ = false;
  WsOpcode opcode_ = WsOpcode::continuation;
  unsigned char mask_[4] = {};
  std::uint64_t remaining_ = 0;   // payload bytes of the current frame still to come
  std::uint64_t maskOffset_ = 0;  // payload bytes of the current frame already unmasked
  // Current data message.
  bool inMessage_ = false;  // a fragmented message is open (its first frame had FIN=0)
  bool messageBinary_ = false;
  bool messageCompressed_ = false;  // its first frame had RSV1
  std::string message_;             // gathered payload of a message that is not delivered zero-copy
  std::string control_;             // payload of a control frame split across parse() calls
  Utf8Validator utf8_;
  std::unique_ptr<MessageInflater> inflater_;  // with permessage-deflate only
  bool done_ = false;
  std::string_view error_;
};

}  // namespace ratchet::detail
