#include "client_frame.hpp"

#include <algorithm>
#include <cstring>

namespace bench {

std::size_t writeClientHeader(char* out, Opcode opcode, std::uint64_t payloadSize,
                              bool compressed) noexcept {
  auto* o = reinterpret_cast<unsigned char*>(out);
  o[0] = static_cast<unsigned char>(0x80 | (compressed ? 0x40 : 0) | static_cast<unsigned>(opcode));
  std::size_t n = 2;
  if (payloadSize < 126) {
    o[1] = static_cast<unsigned char>(0x80 | payloadSize);
  } else if (payloadSize <= 0xFFFF) {
    o[1] = 0x80 | 126;
    o[2] = static_cast<unsigned char>(payloadSize >> 8);
    o[3] = static_cast<unsigned char>(payloadSize);
    n = 4;
  } else {
    o[1] = 0x80 | 127;
    for (int i = 0; i < 8; ++i) o[2 + i] = static_cast<unsigned char>(payloadSize >> (56 - 8 * i));
    n = 10;
  }
  std::memcpy(o + n, kMaskKey, 4);
  return n + 4;
}

void applyMask(char* p, std::size_t n, std::uint64_t offset) noexcept {
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<char>(p[i] ^ kMaskKey[(offset + i) & 3]);
}

void appendClientFrame(std::string& out, Opcode opcode, std::string_view payload) {
  char header[kMaxClientHeader];
  const std::size_t h = writeClientHeader(header, opcode, payload.size());
  out.append(header, h);
  const std::size_t at = out.size();
  out.append(payload);
  applyMask(out.data() + at, payload.size());
}

namespace {
bool isControl(Opcode op) {
  return (static_cast<unsigned>(op) & 0x8) != 0;
}
}  // namespace

// Called when the header is complete: checks it and sets up the frame.
std::string_view FrameParser::startFrame() {
  const unsigned op = header_[0] & 0x0F;
  const bool rsv1 = (header_[0] & 0x40) != 0;
  if (header_[0] & 0x30) return "reserved bits set";
  if (rsv1 && !compressedAllowed_) return "RSV1 set without permessage-deflate";
  if (header_[1] & 0x80) return "masked server frame";
  if (!(op <= 2 || (op >= 8 && op <= 10))) return "reserved opcode";
  frameOpcode_ = static_cast<Opcode>(op);
  fin_ = (header_[0] & 0x80) != 0;
  const unsigned len7 = header_[1] & 0x7F;
  remaining_ = len7;
  if (len7 == 126) {
    remaining_ = (std::uint64_t{header_[2]} << 8) | header_[3];
  } else if (len7 == 127) {
    remaining_ = 0;
    for (int i = 0; i < 8; ++i) remaining_ = (remaining_ << 8) | header_[2 + i];
    if (remaining_ >> 63) return "64-bit length with the top bit set";
  }
  if (isControl(frameOpcode_)) {
    if (rsv1) return "RSV1 on a control frame";
    if (!fin_) return "fragmented control frame";
    if (remaining_ > 125) return "control frame over 125 bytes";
    control_.clear();
  } else if (frameOpcode_ == Opcode::continuation) {
    if (!inMessage_) return "continuation without a message";
    if (rsv1) return "RSV1 on a continuation frame";
  } else {
    if (inMessage_) return "new message inside a fragmented one";
    inMessage_ = true;
    messageType_ = frameOpcode_;
    messageOffset_ = 0;
    messageCompressed_ = rsv1;
    compressed_.clear();
  }
  inFrame_ = true;
  return {};
}

std::string_view FrameParser::parse(const char* data, std::size_t size, FrameHandler& handler) {
  std::size_t pos = 0;
  while (pos < size && !done_) {  // every pass consumes at least one byte or ends a frame
    if (!inFrame_) {
      header_[headerSize_++] = static_cast<unsigned char>(data[pos++]);
      if (headerSize_ == 2) {
        const unsigned len7 = header_[1] & 0x7F;
        headerNeeded_ = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0);
      }
      if (headerSize_ < headerNeeded_) continue;
      headerSize_ = 0;
      headerNeeded_ = 2;
      if (auto error = startFrame(); !error.empty()) {
        done_ = true;
        return error;
      }
    }
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, size - pos));
    if (isControl(frameOpcode_)) {
      control_.append(data + pos, n);
    } else if (messageCompressed_) {
      compressed_.append(data + pos, n);
    } else if (n > 0) {
      handler.onData(data + pos, n, messageOffset_);
      messageOffset_ += n;
    }
    pos += n;
    remaining_ -= n;
    if (remaining_ > 0) break;  // the rest of the frame comes with the next read
    inFrame_ = false;
    switch (frameOpcode_) {
      case Opcode::ping:
        handler.onPing(control_);
        break;
      case Opcode::pong:
        break;
      case Opcode::close: {
        done_ = true;
        if (control_.size() == 1) return "1-byte close payload";
        const std::uint16_t code =
            control_.size() >= 2
                ? static_cast<std::uint16_t>((static_cast<unsigned char>(control_[0]) << 8) |
                                             static_cast<unsigned char>(control_[1]))
                : 1005;
        handler.onClose(code);
        break;
      }
      default:
        if (fin_) {
          inMessage_ = false;
          if (!messageCompressed_) {
            handler.onMessageEnd(messageType_, messageOffset_);
          } else if (auto error = handler.onCompressedMessage(messageType_, compressed_);
                     !error.empty()) {
            done_ = true;
            return error;
          }
        }
    }
  }
  return {};
}

}  // namespace bench
