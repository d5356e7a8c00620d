#include "codec/utf8.hpp"
#include "codec/ws_frame.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

using namespace ratchet::detail;
using namespace std::string_literals;
using namespace std::string_view_literals;

namespace {

// ---- Building client frames -------------------------------------------------------------

struct Frame {
  std::uint8_t opcode = 0x1;
  std::string payload;
  bool fin = true;
  std::uint8_t rsv = 0;  // RSV bits as in the first byte (0x40, 0x20, 0x10)
  bool masked = true;
  int lengthForm = 0;                    // 0: minimal; 7, 16 or 64 to force an encoding
  std::uint64_t announced = UINT64_MAX;  // payload length to announce; default: payload.size()
  std::array<std::uint8_t, 4> key = {0x3A, 0xC5, 0x91, 0x0E};
};

std::string build(const Frame& f) {
  const std::uint64_t n = f.announced == UINT64_MAX ? f.payload.size() : f.announced;
  std::string out;
  out += static_cast<char>((f.fin ? 0x80 : 0) | f.rsv | f.opcode);
  const char maskBit = f.masked ? '\x80' : '\0';
  const int form = f.lengthForm != 0 ? f.lengthForm : n < 126 ? 7 : n <= 0xFFFF ? 16 : 64;
  if (form == 7) {
    out += static_cast<char>(maskBit | static_cast<char>(n));
  } else {
    const int bytes = form == 16 ? 2 : 8;
    out += static_cast<char>(maskBit | (form == 16 ? 126 : 127));
    for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>(n >> (8 * i));
  }
  if (!f.masked) return out + f.payload;
  for (std::uint8_t k : f.key) out += static_cast<char>(k);
  for (std::size_t i = 0; i < f.payload.size(); ++i) {
    out += static_cast<char>(f.payload[i] ^ f.key[i % 4]);
  }
  return out;
}

// A masked client frame with the usual minimal length encoding.
std::string frame(WsOpcode op, std::string_view payload, bool fin = true) {
  Frame f;
  f.opcode = static_cast<std::uint8_t>(op);
  f.payload = std::string(payload);
  f.fin = fin;
  return build(f);
}
std::string text(std::string_view s, bool fin = true) {
  return frame(WsOpcode::text, s, fin);
}
std::string binary(std::string_view s, bool fin = true) {
  return frame(WsOpcode::binary, s, fin);
}
std::string cont(std::string_view s, bool fin = true) {
  return frame(WsOpcode::continuation, s, fin);
}
std::string ping(std::string_view s) {
  return frame(WsOpcode::ping, s);
}
std::string pong(std::string_view s) {
  return frame(WsOpcode::pong, s);
}
std::string closeFrame(std::string_view s) {
  return frame(WsOpcode::close, s);
}
std::string closeBody(std::uint16_t code, std::string_view reason = {}) {
  return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)} +
         std::string(reason);
}

// Valid UTF-8 of exactly `size` bytes mixing 1- to 4-byte characters.
std::string textPayload(std::size_t size) {
  static constexpr std::string_view kUnit = "a\xCE\xBA\xE2\x82\xAC\xF0\x9F\x98\x80";  // aκ€😀
  std::string s;
  s.reserve(size);
  while (s.size() + kUnit.size() <= size) s += kUnit;
  s.append(size - s.size(), 'z');
  return s;
}

std::string binaryPayload(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>(i * 31 + (i >> 8) + 7);
  return s;
}

// ---- Recording what the parser reports ----------------------------------------------------

struct Event {
  enum Kind { message, ping, pong, close } kind;
  std::string payload;
  bool binary = false;
  std::uint16_t code = 0;
  const char* data = nullptr;  // where the reported view pointed
  bool operator==(const Event& o) const {
    return kind == o.kind && payload == o.payload && binary == o.binary && code == o.code;
  }
};

// So that failed CHECKs show the events.
std::ostream& operator<<(std::ostream& os, const Event& e) {
  static const char* const kinds[] = {"message", "ping", "pong", "close"};
  return os << kinds[e.kind] << "(\"" << e.payload.substr(0, 40) << "\", binary=" << e.binary
            << ", code=" << e.code << ")";
}
std::ostream& operator<<(std::ostream& os, const std::vector<Event>& events) {
  os << "[";
  for (const Event& e : events) os << e << " ";
  return os << "]";
}

Event msg(std::string p, bool bin = false) {
  return {Event::message, std::move(p), bin, 0};
}
Event pingEv(std::string p) {
  return {Event::ping, std::move(p), false, 0};
}
Event pongEv(std::string p) {
  return {Event::pong, std::move(p), false, 0};
}
Event closeEv(std::uint16_t code, std::string reason = {}) {
  return {Event::close, std::move(reason), false, code};
}

struct Recorder : WsParserHandler {
  std::vector<Event> events;
  void onWsMessage(std::string_view p, bool bin) override {
    events.push_back({Event::message, std::string(p), bin, 0, p.data()});
  }
  void onWsPing(std::string_view p) override {
    events.push_back({Event::ping, std::string(p), false, 0, p.data()});
  }
  void onWsPong(std::string_view p) override {
    events.push_back({Event::pong, std::string(p), false, 0, p.data()});
  }
  void onWsClose(std::uint16_t code, std::string_view reason) override {
    events.push_back({Event::close, std::string(reason), false, code, reason.data()});
  }
};

// ---- Feeding ------------------------------------------------------------------------------

constexpr std::size_t kWhole = SIZE_MAX;

struct FeedResult {
  std::uint16_t code = 0;    // the first nonzero code parse() returned
  std::size_t failedAt = 0;  // end offset of the call that returned it
  int extraCodes = 0;        // nonzero returns after the first (must stay 0)
};

// Feeds `bytes` in chunks of `chunk`, each copied into its own exactly-sized heap buffer so
// that ASan catches any access beyond what one parse() call was given.
FeedResult feed(WsParser& parser, Recorder& rec, std::string_view bytes, std::size_t chunk) {
  FeedResult r;
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min(chunk, bytes.size() - pos);
    auto buffer = std::make_unique<char[]>(n);
    if (n != 0) std::memcpy(buffer.get(), bytes.data() + pos, n);
    const std::uint16_t code = parser.parse(buffer.get(), n, rec);
    pos += n;
    if (code != 0 && r.code != 0) ++r.extraCodes;
    if (code != 0 && r.code == 0) {
      r.code = code;
      r.failedAt = pos;
    }
  } while (pos < bytes.size());
  return r;
}

// Parses `bytes` with a fresh parser and returns the events, checking the expected code.
std::vector<Event> parseAll(std::string_view bytes, std::size_t chunk, std::uint16_t want = 0,
                            WsParser::Limits limits = {}) {
  WsParser parser(limits);
  Recorder rec;
  const FeedResult r = feed(parser, rec, bytes, chunk);
  CHECK(r.code == want);
  CHECK(r.extraCodes == 0);
  CHECK(parser.error().empty() == (want == 0));
  if (want != 0) CHECK(parser.done());
  return rec.events;
}

const std::size_t kChunks[] = {kWhole, 1, 2, 3, 7};

}  // namespace

// ---- Writer -------------------------------------------------------------------------------

TEST_CASE("writer: header uses the minimal length form") {
  struct Case {
    std::uint64_t size;
    std::string_view header;
  };
  const Case cases[] = {
      {0, "\x81\x00"sv},
      {1, "\x81\x01"sv},
      {125, "\x81\x7D"sv},
      {126, "\x81\x7E\x00\x7E"sv},
      {127, "\x81\x7E\x00\x7F"sv},
      {65535, "\x81\x7E\xFF\xFF"sv},
      {65536, "\x81\x7F\x00\x00\x00\x00\x00\x01\x00\x00"sv},
      {0x0102030405060708ull, "\x81\x7F\x01\x02\x03\x04\x05\x06\x07\x08"sv},
  };
  for (const Case& c : cases) {
    CAPTURE(c.size);
    char out[kMaxServerHeader + 4];
    std::memset(out, '?', sizeof out);
    const std::size_t n = writeFrameHeader(out, WsOpcode::text, c.size);
    CHECK(std::string_view(out, n) == c.header);
    CHECK(out[n] == '?');  // wrote nothing beyond its length
  }
  char out[kMaxServerHeader];
  CHECK(writeFrameHeader(out, WsOpcode::binary, 3, false) == 2);
  CHECK(std::string_view(out, 2) == "\x02\x03"sv);
  CHECK(writeFrameHeader(out, WsOpcode::continuation, 3, true) == 2);
  CHECK(std::string_view(out, 2) == "\x80\x03"sv);
  CHECK(writeFrameHeader(out, WsOpcode::close, 2) == 2);
  CHECK(std::string_view(out, 2) == "\x88\x02"sv);
  CHECK(writeFrameHeader(out, WsOpcode::ping, 0) == 2);
  CHECK(std::string_view(out, 2) == "\x89\x00"sv);
  CHECK(writeFrameHeader(out, WsOpcode::pong, 0) == 2);
  CHECK(std::string_view(out, 2) == "\x8A\x00"sv);
}

TEST_CASE("writer: whole frames") {
  CHECK(makeFrame(WsOpcode::text, "hi") == "\x81\x02hi"s);
  CHECK(makeFrame(WsOpcode::binary, "", false) == "\x02\x00"s);
  const std::string big(70000, 'b');
  const std::string f = makeFrame(WsOpcode::binary, big);
  CHECK(f.size() == 10 + big.size());
  CHECK(f.substr(0, 10) == "\x82\x7F\x00\x00\x00\x00\x00\x01\x11\x70"s);
  CHECK(f.substr(10) == big);
  std::string out = "prefix";
  appendFrame(out, WsOpcode::pong, "p");
  appendFrame(out, WsOpcode::text, std::string(200, 'x'));
  CHECK(out == "prefix\x8A\x01p\x81\x7E\x00\xC8"s + std::string(200, 'x'));
}

TEST_CASE("writer: close payload") {
  CHECK(makeClosePayload(1000, "") == "\x03\xE8"s);
  CHECK(makeClosePayload(4999, "bye") ==
        "\x13\x87"
        "bye"s);
  // 123 bytes of reason fit exactly; 124 are cut.
  CHECK(makeClosePayload(1001, std::string(123, 'r')).size() == 125);
  CHECK(makeClosePayload(1001, std::string(124, 'r')) == "\x03\xE9"s + std::string(123, 'r'));
  CHECK(makeClosePayload(1001, std::string(1000, 'r')).size() == 125);
  // Multi-byte characters straddling the limit are dropped whole, at every alignment.
  for (std::string_view ch : {"\xC3\xA9"sv, "\xE2\x82\xAC"sv, "\xF0\x9F\x98\x80"sv}) {
    for (std::size_t pad = 0; pad < 4; ++pad) {
      std::string reason(pad, 'p');
      while (reason.size() < 200) reason += ch;
      CAPTURE(ch);
      CAPTURE(pad);
      const std::string p = makeClosePayload(1011, reason);
      CHECK(p.substr(0, 2) == "\x03\xF3"s);
      const std::string_view kept = std::string_view(p).substr(2);
      CHECK(kept.size() <= 123);
      CHECK(kept.size() > 123 - ch.size());  // the longest cut that keeps whole characters
      CHECK(reason.compare(0, kept.size(), kept) == 0);
      CHECK(isValidUtf8(kept));
    }
  }
}

TEST_CASE("writer: close codes") {
  for (std::uint16_t c :
       {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
    CAPTURE(c);
    CHECK(isValidCloseCode(c));
  }
  for (std::uint16_t c :
       {0, 1, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 2000, 2999, 5000, 65535}) {
    CAPTURE(c);
    CHECK_FALSE(isValidCloseCode(c));
  }
  int valid = 0;
  for (unsigned c = 0; c <= 0xFFFF; ++c) valid += isValidCloseCode(static_cast<std::uint16_t>(c));
  CHECK(valid == 4 + 5 + 2000);
}

TEST_CASE("writer and parser agree on every length form") {
  // A server frame with a mask key spliced in is a client frame.
  for (std::size_t size : {0, 1, 125, 126, 127, 65535, 65536}) {
    CAPTURE(size);
    const std::string payload = binaryPayload(size);
    std::string f = makeFrame(WsOpcode::binary, payload);
    const std::size_t headerSize = f.size() - size;
    f[1] = static_cast<char>(f[1] | 0x80);
    f.insert(headerSize, "\0\0\0\0"s);  // the zero key leaves the payload as it is
    CHECK(parseAll(f, kWhole) == std::vector{msg(payload, true)});
  }
}

// ---- Parser: data frames ------------------------------------------------------------------

TEST_CASE("parser: data frames of every length form, whole and in pieces") {
  for (std::size_t size : {0, 1, 125, 126, 127, 65535, 65536, 1 << 20}) {
    for (bool bin : {false, true}) {
      CAPTURE(size);
      CAPTURE(bin);
      const std::string payload = bin ? binaryPayload(size) : textPayload(size);
      const std::string bytes = bin ? binary(payload) : text(payload);

      // Whole, in one call: reported as a view of the caller's buffer.
      {
        std::string buffer = bytes;
        WsParser parser;
        Recorder rec;
        CHECK(parser.parse(buffer.data(), buffer.size(), rec) == 0);
        REQUIRE(rec.events.size() == 1);
        CHECK(rec.events[0] == msg(payload, bin));
        CHECK(rec.events[0].data >= buffer.data());
        CHECK(rec.events[0].data + size <= buffer.data() + buffer.size());
        CHECK_FALSE(parser.done());
      }
      for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
        CAPTURE(chunk);
        CHECK(parseAll(bytes, chunk) == std::vector{msg(payload, bin)});
      }
    }
  }
}

TEST_CASE("parser: the mask phase survives a split at every position") {
  const std::string payload = textPayload(300);
  const std::string bytes = text(payload);
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    CAPTURE(cut);
    WsParser parser;
    Recorder rec;
    std::string a = bytes.substr(0, cut), b = bytes.substr(cut);
    CHECK(parser.parse(a.data(), a.size(), rec) == 0);
    CHECK(parser.parse(b.data(), b.size(), rec) == 0);
    CHECK(rec.events == std::vector{msg(payload)});
  }
}

TEST_CASE("parser: a payload whole in a later call is still a view of that call's buffer") {
  const std::string bytes = binary("payload bytes");
  std::string header = bytes.substr(0, 6), rest = bytes.substr(6);
  WsParser parser;
  Recorder rec;
  CHECK(parser.parse(header.data(), header.size(), rec) == 0);
  CHECK(rec.events.empty());
  CHECK(parser.parse(rest.data(), rest.size(), rec) == 0);
  REQUIRE(rec.events.size() == 1);
  CHECK(rec.events[0] == msg("payload bytes", true));
  CHECK(rec.events[0].data == rest.data());
}

TEST_CASE("parser: many frames in one call") {
  std::string bytes;
  std::vector<Event> want;
  for (int i = 0; i < 200; ++i) {
    const std::string p = std::to_string(i) + std::string(static_cast<std::size_t>(i % 7), '.');
    switch (i % 4) {
      case 0:
        bytes += text(p), want.push_back(msg(p));
        break;
      case 1:
        bytes += binary(p), want.push_back(msg(p, true));
        break;
      case 2:
        bytes += ping(p), want.push_back(pingEv(p));
        break;
      default:
        bytes += pong(p), want.push_back(pongEv(p));
        break;
    }
  }
  bytes += text(""), want.push_back(msg(""));
  for (std::size_t chunk : kChunks) {
    CAPTURE(chunk);
    CHECK(parseAll(bytes, chunk) == want);
  }
}

TEST_CASE("parser: non-minimal length encodings are accepted") {
  for (int form : {16, 64}) {
    Frame f;
    f.payload = "hello";
    f.lengthForm = form;
    for (std::size_t chunk : kChunks) {
      CHECK(parseAll(build(f), chunk) == std::vector{msg("hello")});
    }
  }
}

TEST_CASE("parser: fragmented messages with control frames in between") {
  // "héllo wörld €😀" cut inside é, inside €, and inside 😀.
  const std::string whole = "h\xC3\xA9llo w\xC3\xB6rld \xE2\x82\xAC\xF0\x9F\x98\x80";
  const std::string a = whole.substr(0, 2), b = whole.substr(2, 13), c = whole.substr(15, 3),
                    d = whole.substr(18);
  const std::string bytes = text(a, false) + ping("p1") + cont(b, false) + pong("p2") +
                            cont("", false) + cont(c, false) + ping("") + cont(d) + text("next");
  const std::vector<Event> want = {pingEv("p1"), pongEv("p2"), pingEv(""), msg(whole), msg("next")};
  for (std::size_t chunk : kChunks) {
    CAPTURE(chunk);
    CHECK(parseAll(bytes, chunk) == want);
  }
  // Binary, with an empty first fragment and a close frame in the middle (which ends it all).
  const std::string bin = binary("", false) + cont("\xFF\x00"s, false) + cont("\xC0") +
                          binary("x", false) + closeFrame(closeBody(1000)) + cont("y");
  for (std::size_t chunk : kChunks) {
    CAPTURE(chunk);
    CHECK(parseAll(bin, chunk) == std::vector{msg("\xFF\x00\xC0"s, true), closeEv(1000)});
  }
}

TEST_CASE("parser: gathered messages are copied, not views of a buffer") {
  std::string bytes = text("ab", false) + cont("cd");
  WsParser parser;
  Recorder rec;
  CHECK(parser.parse(bytes.data(), bytes.size(), rec) == 0);
  REQUIRE(rec.events.size() == 1);
  CHECK(rec.events[0] == msg("abcd"));
  const char* p = rec.events[0].data;
  CHECK_FALSE((p >= bytes.data() && p < bytes.data() + bytes.size()));
}

// ---- Parser: violations -------------------------------------------------------------------

namespace {

struct Violation {
  std::string name;
  std::string bytes;
  std::uint16_t code;
  std::string_view error;
};

std::string withRsv(std::uint8_t opcode, std::uint8_t rsv) {
  Frame f;
  f.opcode = opcode;
  f.payload = "x";
  f.rsv = rsv;
  return build(f);
}

std::string withOpcode(std::uint8_t opcode) {
  Frame f;
  f.opcode = opcode;
  f.payload = "x";
  return build(f);
}

std::string unfinished(WsOpcode op) {
  Frame f;
  f.opcode = static_cast<std::uint8_t>(op);
  f.fin = false;
  return build(f);
}

std::vector<Violation> violations() {
  std::vector<Violation> v;
  Frame unmasked;
  unmasked.payload = "hi";
  unmasked.masked = false;
  v.push_back({"unmasked", build(unmasked), 1002, "unmasked frame"});
  for (std::uint8_t rsv : {0x40, 0x20, 0x10, 0x70}) {
    v.push_back({"rsv on text", withRsv(0x1, rsv), 1002, "reserved bits set"});
    v.push_back({"rsv on ping", withRsv(0x9, rsv), 1002, "reserved bits set"});
  }
  v.push_back({"rsv on continuation", text("a", false) + withRsv(0x0, 0x40), 1002, {}});
  for (std::uint8_t op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    v.push_back({"reserved opcode", withOpcode(op), 1002, "reserved opcode"});
  }
  v.push_back({"ping of 126", ping(std::string(126, 'p')), 1002, {}});
  v.push_back({"pong of 126", pong(std::string(126, 'p')), 1002, {}});
  v.push_back({"close of 126", closeFrame(closeBody(1000, std::string(124, 'r'))), 1002, {}});
  Frame longPing;
  longPing.opcode = 0x9;
  longPing.payload = std::string(126, 'p');
  longPing.lengthForm = 64;
  v.push_back({"ping of 126, 64-bit length", build(longPing), 1002, {}});
  v.push_back({"fragmented ping", unfinished(WsOpcode::ping), 1002, {}});
  v.push_back({"fragmented pong", unfinished(WsOpcode::pong), 1002, {}});
  v.push_back({"fragmented close", unfinished(WsOpcode::close), 1002, {}});
  v.push_back({"continuation first", cont("x"), 1002, {}});
  v.push_back({"unfinished continuation first", cont("x", false), 1002, {}});
  v.push_back({"continuation after a whole message", text("a") + cont("b"), 1002, {}});
  v.push_back(
      {"continuation after the last fragment", text("a", false) + cont("b") + cont("c"), 1002, {}});
  v.push_back({"text inside text", text("a", false) + text("b"), 1002, {}});
  v.push_back({"binary inside text", text("a", false) + ping("p") + binary("b"), 1002, {}});
  v.push_back({"text inside binary", binary("a", false) + text("b", false), 1002, {}});
  Frame huge;
  huge.opcode = 0x2;
  huge.announced = 0x8000000000000000ull;
  v.push_back({"64-bit length with the top bit", build(huge), 1002, "invalid frame length"});
  v.push_back({"bad UTF-8", text("ok \xC0\xAF ok"), 1007, "invalid UTF-8"});
  v.push_back({"surrogate", text("\xED\xA0\x80"), 1007, "invalid UTF-8"});
  v.push_back({"truncated UTF-8", text("ok \xE2\x82"), 1007, "invalid UTF-8"});
  v.push_back({"bad UTF-8 in a fragment", text("ok", false) + cont("\xFF", false) + cont("ok"),
               1007, "invalid UTF-8"});
  v.push_back({"bad UTF-8 across fragments", text("a\xED", false) + cont("\xA0\x80"), 1007, {}});
  v.push_back(
      {"truncated at the last fragment", text("a\xF0\x9F", false) + cont("\x98"), 1007, {}});
  v.push_back({"close with 1 byte", closeFrame("\x03"), 1002, {}});
  return v;
}

}  // namespace

TEST_CASE("parser: violations fail with the right code and nothing after") {
  const std::string good = text("before");
  const std::string after = text("after") + ping("after") + closeFrame("");
  for (const Violation& v : violations()) {
    for (std::size_t chunk : kChunks) {
      CAPTURE(v.name);
      CAPTURE(chunk);
      WsParser parser;
      Recorder rec;
      const FeedResult r = feed(parser, rec, good + v.bytes + after, chunk);
      CHECK(r.code == v.code);
      CHECK(r.extraCodes == 0);
      // It failed in the call holding the violation's last byte at the latest.
      const std::size_t total = good.size() + v.bytes.size() + after.size();
      const std::size_t lastByte = good.size() + v.bytes.size() - 1;
      CHECK(r.failedAt <= (chunk == kWhole ? total : std::min(total, lastByte + chunk)));
      CHECK(parser.done());
      CHECK_FALSE(parser.error().empty());
      if (!v.error.empty()) CHECK(parser.error() == v.error);
      // Only the frames before the violation were reported (control frames may precede it).
      REQUIRE_FALSE(rec.events.empty());
      CHECK(rec.events[0] == msg("before"));
      for (std::size_t i = 1; i < rec.events.size(); ++i) {
        CHECK(rec.events[i].payload != "after");
      }
      // And later input is ignored.
      std::string more = text("more");
      CHECK(parser.parse(more.data(), more.size(), rec) == 0);
      CHECK(rec.events.back().payload != "more");
    }
  }
}

TEST_CASE("parser: header violations fail before the rest of the frame arrives") {
  const auto firstCall = [](std::string bytes, std::size_t n) {
    WsParser parser;
    Recorder rec;
    std::string part = bytes.substr(0, n);
    const std::uint16_t code = parser.parse(part.data(), part.size(), rec);
    CHECK(rec.events.empty());
    return code;
  };
  Frame f;
  f.payload = "hello";
  f.masked = false;
  CHECK(firstCall(build(f), 2) == 1002);
  CHECK(firstCall(withRsv(0x1, 0x40), 1) == 0);  // one byte is not enough to judge
  CHECK(firstCall(withRsv(0x1, 0x40), 2) == 1002);
  CHECK(firstCall(withOpcode(0x3), 2) == 1002);
  CHECK(firstCall(unfinished(WsOpcode::ping), 2) == 1002);
  CHECK(firstCall(ping(std::string(126, 'p')), 2) == 1002);
  CHECK(firstCall(cont("x"), 2) == 1002);
  Frame huge;
  huge.announced = 0x8000000000000000ull;
  CHECK(firstCall(build(huge), 9) == 0);
  CHECK(firstCall(build(huge), 10) == 1002);  // before the mask key
}

TEST_CASE("parser: invalid UTF-8 fails at the offending byte") {
  // A header announcing 100 bytes followed by only "\xC0".
  Frame f;
  f.announced = 100;
  f.payload = "\xC0";
  std::string bytes = build(f);
  {
    WsParser parser;
    Recorder rec;
    CHECK(parser.parse(bytes.data(), bytes.size(), rec) == 1007);
    CHECK(parser.error() == "invalid UTF-8");
  }
  // Fed byte by byte, it is the \xC0 that fails.
  {
    WsParser parser;
    Recorder rec;
    const FeedResult r = feed(parser, rec, bytes, 1);
    CHECK(r.code == 1007);
    CHECK(r.failedAt == bytes.size());
  }
  // A surrogate split across fragments fails at its second byte, before the rest arrives.
  {
    Frame second;
    second.opcode = 0x0;
    second.announced = 50;
    second.payload = "\xA0";
    const std::string stream = text("a\xED", false) + build(second);
    WsParser parser;
    Recorder rec;
    const FeedResult r = feed(parser, rec, stream, 1);
    CHECK(r.code == 1007);
    CHECK(r.failedAt == stream.size());
  }
  // Deep inside a large frame arriving in 4 KiB pieces: the piece with the bad byte fails.
  {
    std::string payload = textPayload(65536);
    payload[10000] = '\xFF';
    const std::string stream = text(payload);
    WsParser parser;
    Recorder rec;
    const FeedResult r = feed(parser, rec, stream, 4096);
    CHECK(r.code == 1007);
    CHECK(r.failedAt == 3 * 4096);  // the header is 8 bytes: byte 10000 is at 10008
    CHECK(rec.events.empty());
  }
}

// ---- Parser: close frames -----------------------------------------------------------------

TEST_CASE("parser: close frames") {
  for (std::size_t chunk : kChunks) {
    CAPTURE(chunk);
    CHECK(parseAll(closeFrame(""), chunk) == std::vector{closeEv(1005)});
    parseAll(closeFrame("\x03"), chunk, 1002);
    for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1012, 1015, 2999, 5000, 65535}) {
      CAPTURE(code);
      CHECK(parseAll(closeFrame(closeBody(code)), chunk, 1002).empty());
    }
    for (std::uint16_t code : {1000, 1001, 1003, 1007, 1011, 3000, 4999}) {
      CAPTURE(code);
      CHECK(parseAll(closeFrame(closeBody(code)), chunk) == std::vector{closeEv(code)});
    }
    const std::string reason = "bye \xCE\xBA\xF0\x9F\x98\x80";
    CHECK(parseAll(closeFrame(closeBody(1000, reason)), chunk) ==
          std::vector{closeEv(1000, reason)});
    const std::string longest(123, 'r');
    CHECK(parseAll(closeFrame(closeBody(4000, longest)), chunk) ==
          std::vector{closeEv(4000, longest)});
    CHECK(parseAll(closeFrame(closeBody(1000, "\xED\xA0\x80")), chunk, 1007).empty());
    CHECK(parseAll(closeFrame(closeBody(1000, "ab\xE2\x82")), chunk, 1007).empty());
  }
}

TEST_CASE("parser: nothing is read after a close frame") {
  const std::string bytes = text("a") + closeFrame(closeBody(1001, "going")) + text("b") +
                            "\xFF\xFF garbage that would be a violation"s;
  for (std::size_t chunk : kChunks) {
    CAPTURE(chunk);
    WsParser parser;
    Recorder rec;
    const FeedResult r = feed(parser, rec, bytes, chunk);
    CHECK(r.code == 0);
    CHECK(parser.done());
    CHECK(parser.error().empty());
    CHECK(rec.events == std::vector{msg("a"), closeEv(1001, "going")});
  }
}

// ---- Parser: limits -----------------------------------------------------------------------

TEST_CASE("parser: size limits are enforced from the header alone") {
  WsParser::Limits limits;
  limits.maxFrameBytes = 100;
  limits.maxMessageBytes = 150;

  // Frames: 100 bytes pass, 101 fail as soon as the length is known.
  CHECK(parseAll(binary(std::string(100, 'x')), kWhole, 0, limits).size() == 1);
  for (std::size_t size : {101, 126, 1000, 70000}) {
    CAPTURE(size);
    const std::string bytes = binary(std::string(size, 'x'));
    const std::size_t lengthEnd = size < 126 ? 2 : size <= 0xFFFF ? 4 : 10;
    WsParser parser(limits);
    Recorder rec;
    const FeedResult r = feed(parser, rec, bytes.substr(0, lengthEnd), 1);
    CHECK(r.code == 1009);
    CHECK(r.failedAt == lengthEnd);
    CHECK(parser.error() == "frame too big");
  }
  // Control frames obey the frame limit too.
  {
    WsParser::Limits tiny;
    tiny.maxFrameBytes = 10;
    parseAll(ping(std::string(11, 'p')), kWhole, 1009, tiny);
  }

  // Messages: the continuation header that crosses the limit fails, before its payload.
  const std::string ok =
      text(std::string(100, 'a'), false) + ping(std::string(100, 'p')) + cont(std::string(50, 'b'));
  CHECK(parseAll(ok, 1, 0, limits) ==
        std::vector{pingEv(std::string(100, 'p')),
                    msg(std::string(100, 'a') + std::string(50, 'b'))});
  const std::string first = text(std::string(100, 'a'), false);
  const std::string over = cont(std::string(51, 'b'));
  WsParser parser(limits);
  Recorder rec;
  CHECK(feed(parser, rec, first, 1).code == 0);
  const FeedResult r = feed(parser, rec, over.substr(0, 2), 1);
  CHECK(r.code == 1009);
  CHECK(parser.error() == "message too big");
  CHECK(rec.events.empty());

  // The default limits turn away a huge announced length at once.
  Frame huge;
  huge.opcode = 0x2;
  huge.announced = 1ull << 40;
  WsParser defaults;
  std::string header = build(huge);
  CHECK(defaults.parse(header.data(), 10, rec) == 1009);
}

// ---- Parser: shrink -----------------------------------------------------------------------

TEST_CASE("parser: shrink() keeps data still in use") {
  const std::string big = textPayload(5000);
  // Between fragments, inside a split data frame, inside a split control frame, and idle.
  const std::string bytes =
      text(big.substr(0, 2000), false) + cont(big.substr(2000)) + binary(big) + ping("ping!");
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{1000}}) {
    CAPTURE(chunk);
    WsParser parser;
    Recorder rec;
    for (std::size_t pos = 0; pos < bytes.size(); pos += chunk) {
      std::string part = bytes.substr(pos, chunk);
      CHECK(parser.parse(part.data(), part.size(), rec) == 0);
      parser.shrink();
    }
    CHECK(rec.events == std::vector{msg(big), msg(big, true), pingEv("ping!")});
  }
}
