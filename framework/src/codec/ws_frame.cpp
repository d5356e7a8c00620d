#include "codec/ws_frame.hpp"

#include <algorithm>
#include <cstring>

namespace ratchet::detail {
namespace {

constexpr unsigned char kFinBit = 0x80;
constexpr unsigned char kRsvBits = 0x70;
constexpr unsigned char kRsv1 = 0x40;  // permessage-deflate: a compressed message (RFC 7692)
constexpr unsigned char kOpcodeBits = 0x0F;
constexpr unsigned char kMaskBit = 0x80;
constexpr unsigned char kLengthBits = 0x7F;
constexpr std::size_t kMaxControlPayload = 125;
constexpr std::size_t kMaxCloseReason = kMaxControlPayload - 2;

constexpr bool isControl(WsOpcode op) noexcept {
  return (static_cast<unsigned>(op) & 0x8) != 0;
}
constexpr bool isKnownOpcode(unsigned op) noexcept {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

// Size of the extended length field that the 7-bit length announces.
constexpr std::size_t extendedLengthSize(unsigned char len7) noexcept {
  return len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
}

// XORs `n` bytes at `p` with the mask key, `offset` being how many payload bytes of the frame
// came before `p` (the key's phase). Works a 64-bit word at a time; 8 is a multiple of 4, so
// the phase is the same for every word.
void unmask(char* p, std::size_t n, const unsigned char mask[4], std::uint64_t offset) noexcept {
  unsigned char key[8];
  for (unsigned i = 0; i < 8; ++i) key[i] = mask[(offset + i) & 3];
  std::uint64_t key64;
  std::memcpy(&key64, key, sizeof key64);
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
    word ^= key64;
    std::memcpy(p, &word, sizeof word);
  }
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<char>(p[i] ^ key[i]);
}

}  // namespace

std::size_t writeFrameHeader(char* out, WsOpcode opcode, std::uint64_t payloadSize, bool fin,
                             bool compressed) noexcept {
  out[0] = static_cast<char>((fin ? kFinBit : 0) | (compressed ? kRsv1 : 0) |
                             static_cast<unsigned char>(opcode));
  if (payloadSize < 126) {
    out[1] = static_cast<char>(payloadSize);
    return 2;
  }
  std::size_t lengthBytes = 8;
  out[1] = 127;
  if (payloadSize <= 0xFFFF) {
    lengthBytes = 2;
    out[1] = 126;
  }
  for (std::size_t i = 0; i < lengthBytes; ++i) {  // network byte order
    out[2 + i] = static_cast<char>(payloadSize >> (8 * (lengthBytes - 1 - i)));
  }
  return 2 + lengthBytes;
}

void appendFrame(std::string& out, WsOpcode opcode, std::string_view payload, bool fin,
                 bool compressed) {
  char header[kMaxServerHeader];
  const std::size_t headerSize = writeFrameHeader(header, opcode, payload.size(), fin, compressed);
  out.reserve(out.size() + headerSize + payload.size());
  out.append(header, headerSize);
  out.append(payload);
}

std::string makeFrame(WsOpcode opcode, std::string_view payload, bool fin, bool compressed) {
  std::string frame;
  appendFrame(frame, opcode, payload, fin, compressed);
  return frame;
}

std::string makeClosePayload(std::uint16_t code, std::string_view reason) {
  if (reason.size() > kMaxCloseReason) {
    // Cut before the code point that straddles the limit, so the reason stays valid UTF-8.
    std::size_t n = kMaxCloseReason;
    while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
    reason = reason.substr(0, n);
  }
  std::string payload;
  payload.reserve(2 + reason.size());
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason);
  return payload;
}

bool isValidCloseCode(std::uint16_t code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
         (code >= 3000 && code <= 4999);
}

std::uint16_t WsParser::fail(std::uint16_t code, std::string_view why) noexcept {
  done_ = true;
  error_ = why;
  return code;
}

// The header comes in three parts, each checked as soon as it is complete so that a bad
// frame fails before the rest arrives: 2 fixed bytes, the extended length (0, 2 or 8 bytes)
// and the 4-byte mask key. Sets inFrame_ once the whole header is in.
std::uint16_t WsParser::readHeader(const char* data, std::size_t size, std::size_t& pos) noexcept {
  // Where the extended length ends (and the mask key starts); needs the first 2 bytes.
  const auto lengthEnd = [this] { return 2 + extendedLengthSize(header_[1] & kLengthBits); };
  while (pos < size) {
    const std::size_t want = headerSize_ < 2             ? 2
                             : headerSize_ < lengthEnd() ? lengthEnd()
                                                         : lengthEnd() + 4;
    const std::size_t take = std::min(want - headerSize_, size - pos);
    std::memcpy(header_ + headerSize_, data + pos, take);
    headerSize_ = static_cast<std::uint8_t>(headerSize_ + take);
    pos += take;
    if (headerSize_ < want) return 0;
    if (headerSize_ == 2) {
      if (std::uint16_t code = checkFirstBytes()) return code;
    }
    if (headerSize_ == lengthEnd()) {
      if (std::uint16_t code = checkLength()) return code;
    } else if (headerSize_ == lengthEnd() + 4) {
      std::memcpy(mask_, header_ + lengthEnd(), 4);
      maskOffset_ = 0;
      inFrame_ = true;
      if (!isControl(opcode_) && opcode_ != WsOpcode::continuation) {  // a new data message
        messageBinary_ = opcode_ == WsOpcode::binary;
        messageCompressed_ = (header_[0] & kRsv1) != 0;
        inMessage_ = !fin_;
        message_.clear();
        utf8_.reset();
      }
      return 0;
    }
  }
  return 0;
}

std::uint16_t WsParser::checkFirstBytes() noexcept {
  const unsigned char b0 = header_[0];
  const unsigned char b1 = header_[1];
  if ((b0 & kRsvBits & ~kRsv1) != 0 || ((b0 & kRsv1) != 0 && !inflater_))
    return fail(1002, "reserved bits set");
  if (!isKnownOpcode(b0 & kOpcodeBits)) return fail(1002, "reserved opcode");
  if ((b1 & kMaskBit) == 0) return fail(1002, "unmasked frame");
  fin_ = (b0 & kFinBit) != 0;
  opcode_ = static_cast<WsOpcode>(b0 & kOpcodeBits);
  // RFC 7692 6.1: RSV1 marks a message, so only its first frame carries it.
  if ((b0 & kRsv1) != 0 && isControl(opcode_)) return fail(1002, "compressed control frame");
  if ((b0 & kRsv1) != 0 && opcode_ == WsOpcode::continuation)
    return fail(1002, "RSV1 on a continuation frame");
  if (isControl(opcode_)) {
    if (!fin_) return fail(1002, "fragmented control frame");
    if ((b1 & kLengthBits) > kMaxControlPayload) return fail(1002, "control frame too long");
  } else if (opcode_ == WsOpcode::continuation) {
    if (!inMessage_) return fail(1002, "continuation without a message");
  } else if (inMessage_) {
    return fail(1002, "new message inside a fragmented one");
  }
  return 0;
}

std::uint16_t WsParser::checkLength() noexcept {
  const unsigned char len7 = header_[1] & kLengthBits;
  std::uint64_t length = len7;
  if (len7 >= 126) {
    length = 0;
    const std::size_t end = 2 + extendedLengthSize(len7);
    for (std::size_t i = 2; i < end; ++i) length = (length << 8) | header_[i];
    // Non-minimal encodings are accepted: RFC 6455 does not require rejecting them.
    if (length >> 63) return fail(1002, "invalid frame length");
  }
  if (length > limits_.maxFrameBytes) return fail(1009, "frame too big");
  // A compressed message's size is its inflated size, bounded as it inflates.
  const bool compressed =
      opcode_ == WsOpcode::continuation ? messageCompressed_ : (header_[0] & kRsv1) != 0;
  if (!isControl(opcode_) && !compressed) {
    // message_ holds the earlier fragments of the message this frame continues.
    const std::size_t before = opcode_ == WsOpcode::continuation ? message_.size() : 0;
    if (before > limits_.maxMessageBytes || length > limits_.maxMessageBytes - before) {
      return fail(1009, "message too big");
    }
  }
  remaining_ = length;
  return 0;
}

std::uint16_t WsParser::parse(char* data, std::size_t size, WsParserHandler& handler) {
  if (done_) return 0;
  std::size_t pos = 0;
  for (;;) {
    if (!inFrame_) {
      if (pos == size) return 0;
      if (std::uint16_t code = readHeader(data, size, pos)) return code;
      if (!inFrame_) return 0;  // the header is incomplete and all input consumed
    }
    char* const p = data + pos;
    const std::size_t available = size - pos;
    const bool control = isControl(opcode_);
    std::string_view payload;
    // Unmasks the frame's payload bytes that are here and counts them as read.
    const auto take = [&] {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, available));
      unmask(p, n, mask_, maskOffset_);
      pos += n;
      remaining_ -= n;
      maskOffset_ += n;
      return n;
    };
    if (!control && messageCompressed_) {
      // Inflated into message_ as it comes; delivered from there once the message ends.
      const auto n = take();
      if (std::uint16_t code = inflate({p, n}, fin_ && remaining_ == 0)) return code;
      if (remaining_ != 0) return 0;
      if (!fin_) {
        inFrame_ = false;
        headerSize_ = 0;
        continue;
      }
      if (!messageBinary_ && !utf8_.complete()) return fail(1007, "invalid UTF-8");
      payload = message_;
    } else if (maskOffset_ == 0 && remaining_ <= available &&
               (control || (fin_ && opcode_ != WsOpcode::continuation))) {
      // A whole control frame or unfragmented message is here: report it in place, no copy.
      const auto n = static_cast<std::size_t>(remaining_);
      unmask(p, n, mask_, 0);
      pos += n;
      remaining_ = 0;
      payload = {p, n};
      if (!control && !messageBinary_ && !isValidUtf8(payload)) {
        return fail(1007, "invalid UTF-8");
      }
    } else {
      // Gather. Text is validated as it arrives so that bad UTF-8 fails right away.
      const auto n = take();
      if (!control && !messageBinary_ && !utf8_.feed({p, n})) return fail(1007, "invalid UTF-8");
      std::string& buffer = control ? control_ : message_;
      if (n != 0) buffer.append(p, n);
      if (remaining_ != 0) return 0;  // all input consumed; the rest comes later
      if (!control && !fin_) {        // a fragment; the message goes on
        inFrame_ = false;
        headerSize_ = 0;
        continue;
      }
      if (!control && !messageBinary_ && !utf8_.complete()) return fail(1007, "invalid UTF-8");
      payload = buffer;
    }
    inFrame_ = false;
    headerSize_ = 0;
    if (std::uint16_t code = deliver(payload, handler)) return code;
    if (done_) return 0;  // a close frame: ignore whatever follows
  }
}

std::uint16_t WsParser::inflate(std::string_view in, bool last) {
  const auto code = inflater_->inflate(in, last, message_, limits_.maxMessageBytes,
                                       messageBinary_ ? nullptr : &utf8_);
  switch (code) {
    case 0:
      return 0;
    case 1009:
      return fail(code, "message too big");
    case 1011:
      return fail(code, "no memory to inflate");
    default:
      return fail(1007,
                  messageBinary_ || utf8_.feed({}) ? "invalid compressed data" : "invalid UTF-8");
  }
}

// Reports a complete control frame or data message.
std::uint16_t WsParser::deliver(std::string_view payload, WsParserHandler& handler) {
  switch (opcode_) {
    case WsOpcode::ping:
      handler.onWsPing(payload);
      control_.clear();
      return 0;
    case WsOpcode::pong:
      handler.onWsPong(payload);
      control_.clear();
      return 0;
    case WsOpcode::close: {
      if (payload.size() == 1) return fail(1002, "close payload of 1 byte");
      std::uint16_t code = 1005;  // "no status received"
      if (!payload.empty()) {
        code = static_cast<std::uint16_t>(static_cast<unsigned char>(payload[0]) << 8 |
                                          static_cast<unsigned char>(payload[1]));
        if (!isValidCloseCode(code)) return fail(1002, "invalid close code");
        payload.remove_prefix(2);
        if (!isValidUtf8(payload)) return fail(1007, "invalid UTF-8 in close reason");
      }
      done_ = true;
      handler.onWsClose(code, payload);
      return 0;
    }
    default:
      handler.onWsMessage(payload, messageBinary_);
      inMessage_ = false;
      message_.clear();
      return 0;
  }
}

void WsParser::shrink() noexcept {
  // A buffer is in use while it holds part of a frame or message still to be completed.
  const bool controlInUse = inFrame_ && isControl(opcode_);
  const bool messageInUse = inMessage_ || (inFrame_ && !isControl(opcode_));
  if (!messageInUse) std::string().swap(message_);
  if (!controlInUse) std::string().swap(control_);
  if (!messageInUse && inflater_) inflater_->release();
}

}  // namespace ratchet::detail
