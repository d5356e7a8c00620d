// libFuzzer harness: ratchet::detail::WsParser, the streaming parser of client frames.
//
// The input is a client-to-server byte stream. It is parsed twice: in one parse() call, and
// in data-dependent chunks (some empty, with shrink() between some of them). Every parse()
// gets its own exactly sized heap copy of its bytes, so ASan sees any read or write past
// them (the parser unmasks in place). The handler checks what the parser promises:
//   - text messages are valid UTF-8, and no message is larger than maxMessageBytes;
//   - ping/pong payloads are at most 125 bytes (and within maxFrameBytes);
//   - a close code is a valid one, or 1005 with an empty reason; a reason is valid UTF-8;
//   - nothing is delivered after onWsClose or after parse() returned a close code;
//   - parse() returns 0, 1002, 1007 or 1009; after a non-zero code it returns 0 and
//     error() says why; done() is true exactly after a close frame or a violation.
// Both runs must produce the same events (recorded as strings), code and error().
//
// Input: byte 0 chooses the chunk sizes (bits 0-4), the limits (bits 5-6) and whether
// shrink() is called between chunks (bit 7); the rest is the stream.

#include "codec/utf8.hpp"
#include "codec/ws_frame.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using ratchet::detail::isValidCloseCode;
using ratchet::detail::isValidUtf8;
using ratchet::detail::WsParser;
using ratchet::detail::WsParserHandler;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Large limits (the server's defaults scaled down) and small ones that make 1009 reachable
// with small inputs, including a frame limit above the message limit and one below it.
constexpr WsParser::Limits kLimits[] = {
    {.maxMessageBytes = 65536, .maxFrameBytes = 65536},
    {.maxMessageBytes = 64, .maxFrameBytes = 16},
    {.maxMessageBytes = 16, .maxFrameBytes = 64},
    {.maxMessageBytes = 1000, .maxFrameBytes = 200},
};

class Recorder final : public WsParserHandler {
 public:
  explicit Recorder(WsParser::Limits limits) : limits_(limits) {}

  void onWsMessage(std::string_view payload, bool binary) override {
    checkMayDeliver();
    check(payload.size() <= limits_.maxMessageBytes);
    if (!binary) check(isValidUtf8(payload));
    record(binary ? "binary:" : "text:", payload);
  }
  void onWsPing(std::string_view payload) override {
    checkMayDeliver();
    checkControl(payload);
    record("ping:", payload);
  }
  void onWsPong(std::string_view payload) override {
    checkMayDeliver();
    checkControl(payload);
    record("pong:", payload);
  }
  void onWsClose(std::uint16_t code, std::string_view reason) override {
    checkMayDeliver();
    check(isValidCloseCode(code) || (code == 1005 && reason.empty()));
    check(reason.size() <= 123);
    check(isValidUtf8(reason));
    closed = true;
    record("close:" + std::to_string(code) + ":", reason);
  }

  bool closed = false;  // onWsClose was called
  bool failed = false;  // parse() returned a close code (set by the driver)
  std::vector<std::string> events;

 private:
  void checkMayDeliver() const { check(!closed && !failed); }
  void checkControl(std::string_view payload) const {
    check(payload.size() <= 125 && payload.size() <= limits_.maxFrameBytes);
  }
  void record(std::string kind, std::string_view payload) {
    events.push_back(std::move(kind).append(payload));
  }

  WsParser::Limits limits_;
};

struct Outcome {
  std::vector<std::string> events;
  std::uint16_t code = 0;  // the first non-zero parse() result
  std::string error;
  bool done = false;
};

// Parses `stream` in chunks: all of it at once when `chunked` is false.
Outcome run(std::string_view stream, std::uint8_t control, bool chunked) {
  const WsParser::Limits limits = kLimits[(control >> 5) & 3];
  const unsigned spread = control & 0x1F;  // 0: one byte at a time
  const bool shrink = (control & 0x80) != 0;
  WsParser parser(limits);
  Recorder handler(limits);
  Outcome out;
  std::uint32_t seed = control;
  std::size_t pos = 0;
  do {
    std::size_t chunk = stream.size() - pos;
    if (chunked) {
      seed = seed * 1103515245u + 12345u;
      const std::size_t want = spread == 0 ? 1 : (seed >> 16) % (2 + 8 * spread);  // may be 0
      chunk = std::min(chunk, want);
    }
    // Its own heap buffer, exactly sized: ASan reports any access outside it.
    auto buffer = std::make_unique<char[]>(chunk);
    std::memcpy(buffer.get(), stream.data() + pos, chunk);
    pos += chunk;

    const bool wasDone = parser.done();
    const std::size_t eventsBefore = handler.events.size();
    const std::uint16_t code = parser.parse(buffer.get(), chunk, handler);
    check(code == 0 || code == 1002 || code == 1007 || code == 1009);
    if (wasDone) {  // after a close or a violation: input is ignored
      check(code == 0);
      check(handler.events.size() == eventsBefore);
    }
    if (code != 0) {
      check(out.code == 0);
      out.code = code;
      handler.failed = true;
      check(!parser.error().empty());
    }
    check(parser.error().empty() == (out.code == 0));
    check(parser.done() == (handler.closed || handler.failed));
    if (chunked && shrink && (seed & 0x100) != 0) parser.shrink();
  } while (pos < stream.size());
  out.events = std::move(handler.events);
  out.error = std::string(parser.error());
  out.done = parser.done();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = data[0];
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Outcome whole = run(stream, control, false);
  const Outcome pieces = run(stream, control, true);
  check(whole.code == pieces.code);
  check(whole.error == pieces.error);
  check(whole.done == pieces.done);
  check(whole.events == pieces.events);
  return 0;
}
