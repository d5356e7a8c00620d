// libFuzzer harness: ratchet::detail::WsParser with permessage-deflate negotiated, i.e. the
// inflate path (RFC 7692) that a client's compressed frames reach after the handshake.
//
// The input describes client frames as records, each [flags][length][length bytes]:
//   flags bits 0-3: opcode (any nibble), bit 4: FIN, bit 5: RSV1, bit 6: the harness
//   compresses the bytes with zlib as a client would (raw deflate, sync flush, tail cut),
//   bit 7: RSV2.
// so that both valid compressed data and arbitrary bytes reach the inflater. The frames are
// parsed twice, whole and in data-dependent chunks (each chunk its own exactly sized heap
// copy, with shrink() between some), and both runs must agree. Checked on every event: no
// message is larger than maxMessageBytes, text is valid UTF-8, nothing comes after a close
// or a violation, and parse() returns 0, 1002, 1007 or 1009.
//
// Then a round trip: the records' bytes sent as compressed binary messages, one frame each,
// must come back exactly, with the client keeping its context or not as negotiated.
//
// Input: byte 0 chooses the chunk sizes (bits 0-4), the limits (bits 5-6) and whether the
// client keeps its compression context between messages (bit 7); the rest is the records.

#include "codec/permessage_deflate.hpp"
#include "codec/utf8.hpp"
#include "codec/ws_frame.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using ratchet::detail::DeflateParams;
using ratchet::detail::isValidUtf8;
using ratchet::detail::WsParser;
using ratchet::detail::WsParserHandler;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr WsParser::Limits kLimits[] = {
    {.maxMessageBytes = 65536, .maxFrameBytes = 65536},
    {.maxMessageBytes = 64, .maxFrameBytes = 300},  // inflating past the limit: 1009
    {.maxMessageBytes = 1000, .maxFrameBytes = 16},
    {.maxMessageBytes = 300, .maxFrameBytes = 300},
};

// The client's compressor: keeps its context between messages, or starts each afresh.
class ClientDeflate {
 public:
  explicit ClientDeflate(bool keep) : keep_(keep) {
    check(deflateInit2(&z_, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  }
  ~ClientDeflate() { deflateEnd(&z_); }
  ClientDeflate(const ClientDeflate&) = delete;
  ClientDeflate& operator=(const ClientDeflate&) = delete;

  std::string compress(std::string_view in, bool endsMessage) {
    if (in.empty()) {  // zlib has nothing to flush again: one empty stored block (7.2.3.6)
      if (endsMessage && !keep_) check(deflateReset(&z_) == Z_OK);
      return endsMessage ? std::string(1, '\0') : std::string();
    }
    std::string out(in.size() + in.size() / 8 + 64, '\0');
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    z_.next_out = reinterpret_cast<Bytef*>(out.data());
    z_.avail_out = static_cast<uInt>(out.size());
    check(deflate(&z_, Z_SYNC_FLUSH) == Z_OK && z_.avail_in == 0 && z_.avail_out != 0);
    out.resize(out.size() - z_.avail_out);
    // The tail goes only where a message ends (RFC 7692 7.2.1); a fragment keeps it.
    if (endsMessage) {
      check(out.size() >= 4);
      out.resize(out.size() - 4);
      if (!keep_) check(deflateReset(&z_) == Z_OK);
    }
    return out;
  }

 private:
  z_stream z_{};
  bool keep_;
};

std::string maskedFrame(unsigned char first, std::string_view payload) {
  std::string f(1, static_cast<char>(first));
  const unsigned char mask[4] = {0x37, 0xfa, 0x21, static_cast<unsigned char>(payload.size())};
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xFF));
  }
  f.append(reinterpret_cast<const char*>(mask), 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    f.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
  return f;
}

struct Record {
  unsigned char flags;
  std::string_view bytes;
};

std::vector<Record> records(std::string_view in) {
  std::vector<Record> out;
  while (in.size() >= 2 && out.size() < 64) {
    const auto flags = static_cast<unsigned char>(in[0]);
    const std::size_t n = std::min<std::size_t>(static_cast<unsigned char>(in[1]), in.size() - 2);
    out.push_back({flags, in.substr(2, n)});
    in.remove_prefix(2 + n);
  }
  return out;
}

class Recorder final : public WsParserHandler {
 public:
  explicit Recorder(std::size_t maxMessage) : maxMessage_(maxMessage) {}
  void onWsMessage(std::string_view payload, bool binary) override {
    check(!closed && !failed);
    check(payload.size() <= maxMessage_);
    if (!binary) check(isValidUtf8(payload));
    events.push_back((binary ? "b:" : "t:") + std::string(payload));
  }
  void onWsPing(std::string_view p) override { control("ping:", p); }
  void onWsPong(std::string_view p) override { control("pong:", p); }
  void onWsClose(std::uint16_t code, std::string_view reason) override {
    control("close:" + std::to_string(code) + ":", reason);
    closed = true;
  }
  bool closed = false, failed = false;
  std::vector<std::string> events;

 private:
  void control(std::string kind, std::string_view p) {
    check(!closed && !failed && p.size() <= 125);
    events.push_back(kind + std::string(p));
  }
  std::size_t maxMessage_;
};

struct Outcome {
  std::vector<std::string> events;
  std::uint16_t code = 0;
  std::string error;
};

Outcome run(std::string_view stream, const DeflateParams& params, WsParser::Limits limits,
            unsigned spread, bool chunked, std::uint32_t seed) {
  WsParser parser(limits);
  parser.enableInflate(params);
  Recorder handler(limits.maxMessageBytes);
  Outcome out;
  std::size_t pos = 0;
  do {
    std::size_t chunk = stream.size() - pos;
    if (chunked) {
      seed = seed * 1103515245u + 12345u;
      chunk = std::min<std::size_t>(chunk, spread == 0 ? 1 : (seed >> 16) % (2 + 16 * spread));
    }
    auto buffer = std::make_unique<char[]>(chunk);
    std::memcpy(buffer.get(), stream.data() + pos, chunk);
    pos += chunk;
    const bool wasDone = parser.done();
    const auto before = handler.events.size();
    const std::uint16_t code = parser.parse(buffer.get(), chunk, handler);
    check(code == 0 || code == 1002 || code == 1007 || code == 1009);
    if (wasDone) check(code == 0 && handler.events.size() == before);
    if (code != 0) {
      check(out.code == 0 && !parser.error().empty());
      out.code = code;
      handler.failed = true;
    }
    if (chunked && (seed & 0x300) == 0x300) parser.shrink();
  } while (pos < stream.size());
  out.events = std::move(handler.events);
  out.error = std::string(parser.error());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = data[0];
  const auto limits = kLimits[(control >> 5) & 3];
  const unsigned spread = control & 0x1F;
  DeflateParams params;
  params.clientContextTakeover = (control & 0x80) != 0;
  const auto input = records({reinterpret_cast<const char*>(data) + 1, size - 1});

  // The frames as the records describe them.
  std::string stream;
  {
    ClientDeflate client(params.clientContextTakeover);
    for (const auto& r : input) {
      unsigned char first = static_cast<unsigned char>(r.flags & 0x0F);
      const bool fin = (r.flags & 0x10) != 0;
      if (fin) first |= 0x80;
      if (r.flags & 0x20) first |= 0x40;
      if (r.flags & 0x80) first |= 0x20;
      const bool data = (r.flags & 0x0F) <= 2;
      std::string payload(r.bytes);
      if ((r.flags & 0x40) != 0 && data) payload = client.compress(r.bytes, fin);
      if (payload.size() > 0xFFFF) payload.resize(0xFFFF);
      stream += maskedFrame(first, payload);
    }
  }
  const Outcome whole = run(stream, params, limits, spread, false, control);
  const Outcome pieces = run(stream, params, limits, spread, true, control);
  check(whole.code == pieces.code && whole.error == pieces.error);
  check(whole.events == pieces.events);

  // Round trip: each record's bytes as one compressed binary message.
  std::string clean;
  std::vector<std::string> expected;
  {
    ClientDeflate client(params.clientContextTakeover);
    for (const auto& r : input) {
      clean += maskedFrame(0x80 | 0x40 | 0x2, client.compress(r.bytes, true));
      expected.push_back("b:" + std::string(r.bytes));
    }
  }
  const WsParser::Limits roomy{.maxMessageBytes = 65536, .maxFrameBytes = 65536};
  const Outcome trip = run(clean, params, roomy, spread, true, control);
  check(trip.code == 0 && trip.events == expected);
  return 0;
}
