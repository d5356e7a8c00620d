#pragma once
// RFC 6455 conformance support, in the manner of the Autobahn testsuite: an echo server on
// port 0, and a raw client that sends any bytes (masked frames of any shape, split into any
// writes) and reads the server's frames exactly as they come off the wire.
//
// Every wait is bounded: the client uses its socket non-blocking, and each read or write
// waits in poll() with a timeout, so a server that stalls fails a check instead of hanging.
//
// Run with `--tls-certs=DIR` (the test PKI of tests/tls/make_certs.sh; main.cpp sets
// tlsCertsDir) the same cases go over TLS: EchoApp serves wss:// with DIR's server-rsa
// certificate and Peer speaks TLS (OpenSSL over the same non-blocking socket, verifying the
// chain against DIR/ca.pem for "localhost"), so the bytes of every case are the plaintext of
// TLS records instead of TCP segments. CTest registers sections 1-7 a second time that way
// as "conformance-tls:".
//
// permessage-deflate (RFC 7692, sections 12 and 13): Peer offers it when Upgrade::extensions
// says so, reads the server's answer strictly, compresses what it sends and inflates what the
// server compresses, with zlib used directly — independent of the server's own codec.

#include "e2e/support.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <zlib.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace conf {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

/// How long a read waits for the next bytes from the server, and a write for buffer space.
inline constexpr Millis kWait = std::chrono::duration_cast<Millis>(test::kTimeout);
/// How long a "fails fast" case waits for the close: the server must act on the bytes it
/// has, while the rest of the frame or message is never sent.
inline constexpr Millis kFailFastWait = 3s;

namespace op {
inline constexpr std::uint8_t continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9,
                              pong = 0xA;
}

// ---- TLS -----------------------------------------------------------------------------------

/// The test PKI directory when the cases run over TLS (--tls-certs=DIR); empty: plain TCP.
inline std::string tlsCertsDir;

inline bool overTls() {
  return !tlsCertsDir.empty();
}

/// The server side of the TLS run: server-rsa's chain and key from tlsCertsDir.
inline ratchet::TlsOptions serverTls() {
  ratchet::TlsOptions tls;
  tls.certificateChainFile = tlsCertsDir + "/fullchain-rsa.pem";
  tls.privateKeyFile = tlsCertsDir + "/server-rsa.key";
  return tls;
}

/// The client context of the TLS run, made once: trusts only the test CA, verifies the peer.
/// Partial writes let a non-blocking SSL_write report what it took, as send() does.
inline SSL_CTX* clientTlsContext() {
  static SSL_CTX* const ctx = [] {
    SSL_CTX* c = SSL_CTX_new(TLS_client_method());
    REQUIRE(c != nullptr);
    REQUIRE(SSL_CTX_load_verify_locations(c, (tlsCertsDir + "/ca.pem").c_str(), nullptr) == 1);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return c;
  }();
  return ctx;
}

/// OpenSSL's reasons on this thread's error queue, which it empties.
inline std::string openSslErrors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(e, buffer, sizeof buffer);
    out += out.empty() ? "" : "; ";
    out += buffer;
  }
  return out.empty() ? "no OpenSSL reason" : out;
}

// ---- the server ----------------------------------------------------------------------------

inline void echoRoute(ratchet::App& app) {
  app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
}

/// An App serving ratchet::EchoServer on "/echo" for any origin, on a port of its own, run
/// on a background thread until the end of the scope.
class EchoApp {
 public:
  explicit EchoApp(ratchet::AppOptions options = test::testOptions())
      : app_(withTls(std::move(options)), echoRoute) {}
  std::uint16_t port() const { return app_.port(); }

 private:
  static ratchet::AppOptions withTls(ratchet::AppOptions options) {
    if (overTls() && !options.tls && !options.io.tls) options.tls = serverTls();
    return options;
  }

  test::Running<test::RoutedApp> app_;
};

// ---- bytes ---------------------------------------------------------------------------------

/// A masked client frame whose header announces `announced` payload bytes, followed by the
/// masked `payload` (which may be shorter, for a frame whose rest is never sent). Each frame
/// gets its own masking key, so that unmasking at the wrong key phase shows.
inline std::string encodeFrame(std::uint8_t opcode, std::string_view payload, bool fin,
                               std::uint8_t rsv, std::uint64_t announced) {
  static std::atomic<std::uint32_t> counter{0};
  const std::uint32_t k = (counter.fetch_add(1) + 1) * 2654435761u;
  const unsigned char mask[4] = {
      static_cast<unsigned char>(k >> 24 | 1), static_cast<unsigned char>(k >> 16),
      static_cast<unsigned char>(k >> 8 | 0x80), static_cast<unsigned char>(k)};
  std::string f;
  f.reserve(14 + payload.size());
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | ((rsv & 0x7) << 4) | (opcode & 0x0F)));
  if (announced < 126) {
    f.push_back(static_cast<char>(0x80 | announced));
  } else if (announced <= 0xFFFF) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(announced >> 8));
    f.push_back(static_cast<char>(announced & 0xFF));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((announced >> (8 * i)) & 0xFF));
  }
  f.append(reinterpret_cast<const char*>(mask), 4);
  const std::size_t start = f.size();
  f.append(payload);
  char* p = f.data() + start;
  for (std::size_t i = 0; i < payload.size(); ++i) p[i] = static_cast<char>(p[i] ^ mask[i & 3]);
  return f;
}

/// A masked client frame (RFC 6455 5.2), `rsv` being the three RSV bits (RSV1 = 4).
inline std::string frame(std::uint8_t opcode, std::string_view payload, bool fin = true,
                         std::uint8_t rsv = 0) {
  return encodeFrame(opcode, payload, fin, rsv, payload.size());
}

/// One message as frames of at most `fragment` bytes (one frame when it fits, or is empty).
inline std::string fragmented(std::uint8_t opcode, std::string_view payload, std::size_t fragment) {
  std::string out;
  std::uint8_t o = opcode;
  do {
    const std::size_t n = std::min(fragment, payload.size());
    out += frame(o, payload.substr(0, n), n == payload.size());
    payload.remove_prefix(n);
    o = op::continuation;
  } while (!payload.empty());
  return out;
}

/// One message as a frame per part; parts may be empty.
inline std::string fragments(std::uint8_t opcode, const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i)
    out += frame(i == 0 ? opcode : op::continuation, parts[i], i + 1 == parts.size());
  return out;
}

/// The payload of a close frame: the code in network order, then the reason.
inline std::string closePayload(std::uint16_t code, std::string_view reason = {}) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  p.append(reason);
  return p;
}

/// `n` bytes covering every byte value.
inline std::string binaryBytes(std::size_t n, unsigned seed = 0) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + (i >> 8) + seed) & 0xFF);
  return s;
}

/// Exactly `n` bytes of valid UTF-8 mixing 1-, 2-, 3- and 4-byte sequences.
inline std::string utf8Text(std::size_t n) {
  static constexpr std::string_view pieces[] = {
      "Hello ",
      "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5",  // κόσμε
      " \xE2\x82\xAC",
      "\xF0\x9F\x98\x80",
      "-\xC2\xB5@\xC3\x9F",
      "\xEF\xBF\xBF",
      "\xF4\x8F\xBF\xBF",
      "0123456789",
      "\xE0\xA0\x80",
      "\xDF\xBF"};
  std::string s;
  s.reserve(n);
  for (std::size_t i = 0; s.size() + 16 <= n; i = (i + 1) % std::size(pieces)) s += pieces[i];
  s.append(n - s.size(), 'a');
  return s;
}

/// Non-printable bytes as \xNN, cut after `max` bytes.
inline std::string printable(std::string_view s, std::size_t max = 48) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

// ---- what the server sends -----------------------------------------------------------------

/// A server frame as read off the wire.
struct Frame {
  bool fin = false;
  std::uint8_t rsv = 0;
  std::uint8_t opcode = 0xFF;
  bool masked = false;
  std::uint8_t lengthBytes = 0;  // size of the extended length field: 0, 2 or 8
  std::uint64_t length = 0;
  std::string payload;

  /// The status code of a close frame; 1005 when it carries none.
  std::uint16_t closeCode() const {
    if (payload.size() < 2) return ratchet::close_code::no_status;
    return static_cast<std::uint16_t>(static_cast<unsigned char>(payload[0]) << 8 |
                                      static_cast<unsigned char>(payload[1]));
  }
};

inline std::string opcodeName(std::uint8_t opcode) {
  switch (opcode) {
    case op::continuation:
      return "continuation";
    case op::text:
      return "text";
    case op::binary:
      return "binary";
    case op::close:
      return "close";
    case op::ping:
      return "ping";
    case op::pong:
      return "pong";
    default:
      return "opcode " + std::to_string(opcode);
  }
}

inline std::string describe(const Frame& f) {
  std::string s = opcodeName(f.opcode) + (f.fin ? "" : " no-FIN") +
                  (f.rsv ? " rsv=" + std::to_string(f.rsv) : "") + (f.masked ? " MASKED" : "") +
                  " len=" + std::to_string(f.payload.size());
  if (f.opcode == op::close) {
    s += f.payload.size() < 2 ? " (no code)" : " code=" + std::to_string(f.closeCode());
    if (f.payload.size() > 2) s += " '" + printable(std::string_view(f.payload).substr(2)) + "'";
  } else if (!f.payload.empty()) {
    s += " '" + printable(f.payload, 24) + "'";
  }
  return s;
}

inline std::string describeAll(const std::vector<Frame>& frames) {
  std::string s;
  for (const auto& f : frames) s += "[" + describe(f) + "] ";
  return frames.empty() ? "(no frames)" : s;
}

/// Checks what RFC 6455 5.1-5.5 requires of every frame a server sends: no mask, a known
/// opcode, final and at most 125 bytes when control, and the minimal length encoding (5.2);
/// and its RSV bits (5.2): none unless permessage-deflate was negotiated (`deflate`), and
/// then RSV1 alone, on the first frame of a data message only, never on a control frame or a
/// continuation (RFC 7692 6); RSV2 and RSV3 never.
inline void checkFrameForm(const Frame& f, bool deflate = false) {
  INFO("server frame: " << describe(f));
  CHECK_FALSE(f.masked);
  if (!deflate) CHECK_MESSAGE(f.rsv == 0, "RSV bits set, and no extension was negotiated");
  CHECK_MESSAGE((f.rsv & 0x3) == 0, "RSV2 or RSV3 set");
  if (deflate && (f.rsv & 0x4) != 0)
    CHECK_MESSAGE((f.opcode == op::text || f.opcode == op::binary),
                  "RSV1 on a control frame or a continuation");
  const bool known = f.opcode <= op::binary || (f.opcode >= op::close && f.opcode <= op::pong);
  CHECK(known);
  if (f.opcode >= op::close) {
    CHECK(f.fin);
    CHECK(f.payload.size() <= 125);
  }
  const std::uint8_t minimal = f.length < 126 ? 0 : f.length <= 0xFFFF ? 2 : 8;
  CHECK(f.lengthBytes == minimal);
}

/// What a test expects from the server: a whole data message (however it is fragmented), a
/// control frame, or a close frame with a code.
struct Event {
  std::uint8_t opcode = 0;
  std::string payload;                // a compressed message's: inflated
  std::optional<std::uint16_t> code;  // close: the status code (1005: none)
  bool emptyOr1000 = false;           // close: either no status or 1000 is right
  bool compressed = false;            // a data message that came compressed (RSV1)
};

inline Event text(std::string s) {
  return {op::text, std::move(s), {}, false, false};
}
inline Event binary(std::string s) {
  return {op::binary, std::move(s), {}, false, false};
}
inline Event pong(std::string s) {
  return {op::pong, std::move(s), {}, false, false};
}
inline Event closeWith(std::uint16_t code) {
  return {op::close, {}, code, false, false};
}
/// The reply to a close without status: RFC 6455 5.5.1 lets the server answer with no
/// status or with 1000.
inline Event closeEmptyOr1000() {
  return {op::close, {}, {}, true, false};
}

inline std::string describe(const Event& e) {
  if (e.opcode == op::close) {
    if (e.emptyOr1000) return "close (no code or 1000)";
    if (e.code) return "close " + std::to_string(*e.code);
  }
  return opcodeName(e.opcode) + (e.compressed ? " compressed" : "") + " " +
         std::to_string(e.payload.size()) + " bytes '" + printable(e.payload, 32) + "'";
}

inline std::string describeAll(const std::vector<Event>& events) {
  std::string s;
  for (const auto& e : events) s += "[" + describe(e) + "] ";
  return events.empty() ? "(nothing)" : s;
}

/// Inflates a compressed message's payload as the connection agreed; nullopt when it does not.
using Inflate = std::function<std::optional<std::string>(std::string_view)>;

/// The server's frames as messages and control frames: continuations are joined to the
/// message they continue (a stray continuation stays one), and a whole message that came
/// compressed (RSV1 on its first frame) is inflated by `inflate`.
inline std::vector<Event> toEvents(const std::vector<Frame>& frames, const Inflate& inflate = {}) {
  std::vector<Event> events;
  std::optional<Event> message;
  for (const auto& f : frames) {
    if (f.opcode == op::text || f.opcode == op::binary || f.opcode == op::continuation) {
      if (f.opcode == op::continuation && message) {
        message->payload += f.payload;
      } else {
        if (message) events.push_back(std::move(*message));  // unfinished: report as is
        message = Event{f.opcode, f.payload, {}, false, (f.rsv & 0x4) != 0};
      }
      if (f.fin) {
        if (message->compressed && inflate)
          message->payload = inflate(message->payload).value_or("(does not inflate)");
        events.push_back(std::move(*message));
        message.reset();
      }
      continue;
    }
    Event e{f.opcode, f.payload, {}, false, false};
    if (f.opcode == op::close) e.code = f.closeCode();
    events.push_back(std::move(e));
  }
  if (message) events.push_back(std::move(*message));
  return events;
}

inline bool matches(const Event& got, const Event& want) {
  if (got.opcode != want.opcode) return false;
  if (want.opcode == op::close) {
    if (want.emptyOr1000) return got.code == 1000 || got.code == 1005;
    return got.code == want.code;
  }
  return got.payload == want.payload;
}

// ---- permessage-deflate (RFC 7692), the client's side ---------------------------------------
// The offer, a strict reading of the server's answer (7.1), and raw deflate streams for both
// directions (7.2), written against zlib itself rather than the server's codec.

/// Messages each case of sections 12 and 13 sends (Autobahn sends 1000): --deflate-messages=N.
inline std::size_t deflateMessages = 10;

/// One parameter of an extension in Sec-WebSocket-Extensions, its value unquoted.
struct ExtensionParam {
  std::string name;
  std::optional<std::string> value;
};

/// One element of a Sec-WebSocket-Extensions list: an extension and its parameters.
struct ExtensionElement {
  std::string name;
  std::vector<ExtensionParam> params;
};

inline bool isTokenChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7F &&
         std::string_view("()<>@,;:\\\"/[]?={}").find(c) == std::string_view::npos;
}

/// Parses a Sec-WebSocket-Extensions value by the grammar of RFC 6455 9.1: a non-empty list
/// of `token *( ";" token [ "=" ( token / quoted-string ) ] )`, optional whitespace around
/// the separators, a quoted value being a token once unescaped. Names are kept as written
/// (RFC 7692's are lower case). nullopt, and why in `why`, when it does not follow it.
inline std::optional<std::vector<ExtensionElement>> parseExtensions(std::string_view s,
                                                                    std::string& why) {
  std::size_t i = 0;
  const auto ows = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  };
  const auto token = [&] {
    const std::size_t start = i;
    while (i < s.size() && isTokenChar(s[i])) ++i;
    return std::string(s.substr(start, i - start));
  };
  const auto fail = [&](const char* what) {
    why = std::string(what) + " at byte " + std::to_string(i) + " of '" + std::string(s) + "'";
    return std::nullopt;
  };
  std::vector<ExtensionElement> list;
  for (;;) {
    ows();
    ExtensionElement e{token(), {}};
    if (e.name.empty()) return fail("no extension name");
    for (ows(); i < s.size() && s[i] == ';'; ows()) {
      ++i;
      ows();
      ExtensionParam p{token(), std::nullopt};
      if (p.name.empty()) return fail("no parameter name");
      ows();
      if (i < s.size() && s[i] == '=') {
        ++i;
        ows();
        std::string v;
        if (i < s.size() && s[i] == '"') {
          for (++i; i < s.size() && s[i] != '"'; ++i) {
            if (s[i] == '\\' && ++i == s.size()) break;
            v.push_back(s[i]);
          }
          if (i == s.size()) return fail("unterminated quoted-string");
          ++i;
          if (v.empty() || !std::all_of(v.begin(), v.end(), isTokenChar))
            return fail("a quoted value that is not a token");
        } else {
          v = token();
          if (v.empty()) return fail("no parameter value");
        }
        p.value = std::move(v);
      }
      e.params.push_back(std::move(p));
    }
    list.push_back(std::move(e));
    if (i == s.size()) return list;
    if (s[i] != ',') return fail("an unexpected character");
    ++i;
  }
}

/// The permessage-deflate parameters of an offer or of a response (RFC 7692 7.1).
struct DeflateParams {
  bool serverNoContextTakeover = false;
  bool clientNoContextTakeover = false;
  std::optional<int> serverMaxWindowBits;
  bool clientMaxWindowBits = false;             // the parameter is there
  std::optional<int> clientMaxWindowBitsValue;  // with this value
};

/// Window bits (RFC 7692 7.1.2): a decimal integer from 8 to 15 without leading zeros.
inline std::optional<int> windowBitsValue(const std::optional<std::string>& v) {
  if (!v || v->empty() || v->size() > 2 || (*v)[0] == '0') return std::nullopt;
  int bits = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), bits);
  if (ec != std::errc{} || end != v->data() + v->size() || bits < 8 || bits > 15)
    return std::nullopt;
  return bits;
}

/// Reads one permessage-deflate element: every parameter one of RFC 7692's four, given once,
/// with a valid value (the takeover parameters none, server_max_window_bits always one,
/// client_max_window_bits one in a response); nullopt, and `why`, otherwise (7.1: the client
/// fails the connection on a response that is not so).
inline std::optional<DeflateParams> readDeflateParams(const ExtensionElement& e, bool response,
                                                      std::string& why) {
  const auto fail = [&](std::string what) {
    why = std::move(what);
    return std::nullopt;
  };
  DeflateParams d;
  bool seen[4] = {};
  for (const auto& p : e.params) {
    const std::string_view names[4] = {"server_no_context_takeover", "client_no_context_takeover",
                                       "server_max_window_bits", "client_max_window_bits"};
    const auto at = std::find(std::begin(names), std::end(names), p.name);
    if (at == std::end(names)) return fail("unknown parameter " + p.name);
    const auto index = static_cast<std::size_t>(at - std::begin(names));
    if (seen[index]) return fail("parameter " + p.name + " given twice");
    seen[index] = true;
    if (index < 2) {
      if (p.value) return fail(p.name + " with a value");
      (index == 0 ? d.serverNoContextTakeover : d.clientNoContextTakeover) = true;
    } else if (index == 2) {
      d.serverMaxWindowBits = windowBitsValue(p.value);
      if (!d.serverMaxWindowBits) return fail("server_max_window_bits without 8-15");
    } else {
      d.clientMaxWindowBits = true;
      d.clientMaxWindowBitsValue = windowBitsValue(p.value);
      if ((p.value || response) && !d.clientMaxWindowBitsValue)
        return fail("client_max_window_bits without 8-15");
    }
  }
  return d;
}

/// What the client and the server agreed on, as the client reads the response.
struct DeflateAgreement {
  std::size_t offer = 0;  // the offer the response accepts, counted from 0
  DeflateParams response;
  int serverWindowBits = 15;          // the server compresses within this window: inflate with it
  int clientWindowBits = 15;          // the client compresses within this one
  bool serverContextTakeover = true;  // the server's messages may refer to earlier ones
  bool clientContextTakeover = true;
};

/// Checks the server's Sec-WebSocket-Extensions value against the client's permessage-deflate
/// offers as strictly as RFC 7692 7.1 puts it: one permessage-deflate element (nothing else
/// was offered) with valid parameters that accepts one of the offers, which means
///  - server_no_context_takeover when the offer had it (7.1.1.1),
///  - server_max_window_bits when the offer had it, and no larger (7.1.2.1),
///  - client_max_window_bits only when the offer had it, no larger than its value (7.1.2.2);
/// client_no_context_takeover (7.1.1.2), and server_no_context_takeover or
/// server_max_window_bits that the offer did not ask for, may be in any response. The first
/// offer it accepts is the one accepted. nullopt, and `why`, when it accepts none.
inline std::optional<DeflateAgreement> agreeDeflate(const std::vector<DeflateParams>& offers,
                                                    std::string_view response, std::string& why) {
  const auto fail = [&](std::string what) {
    why = std::move(what);
    return std::nullopt;
  };
  const auto list = parseExtensions(response, why);
  if (!list) return std::nullopt;
  if (list->size() != 1 || list->front().name != "permessage-deflate")
    return fail("not a single permessage-deflate element");
  const auto r = readDeflateParams(list->front(), true, why);
  if (!r) return std::nullopt;
  for (std::size_t i = 0; i < offers.size(); ++i) {
    const auto& o = offers[i];
    if (o.serverNoContextTakeover && !r->serverNoContextTakeover) continue;
    if (o.serverMaxWindowBits &&
        (!r->serverMaxWindowBits || *r->serverMaxWindowBits > *o.serverMaxWindowBits))
      continue;
    if (r->clientMaxWindowBits && !o.clientMaxWindowBits) continue;
    if (r->clientMaxWindowBitsValue && o.clientMaxWindowBitsValue &&
        *r->clientMaxWindowBitsValue > *o.clientMaxWindowBitsValue)
      continue;
    DeflateAgreement a;
    a.offer = i;
    a.response = *r;
    a.serverWindowBits = r->serverMaxWindowBits.value_or(15);
    // An offer's value binds the client even when the response does not repeat it (7.1.2.2),
    // and so does its client_no_context_takeover (7.1.1.2).
    a.clientWindowBits =
        r->clientMaxWindowBitsValue.value_or(o.clientMaxWindowBitsValue.value_or(15));
    a.serverContextTakeover = !r->serverNoContextTakeover;
    a.clientContextTakeover = !r->clientNoContextTakeover && !o.clientNoContextTakeover;
    return a;
  }
  return fail("it accepts none of the offers");
}

/// The client's compressor (RFC 7692 7.2.1): raw deflate at zlib's default level, within
/// 2^windowBits bytes, its context kept from one message to the next or not.
class ClientDeflater {
 public:
  ClientDeflater(int windowBits, bool contextTakeover) : contextTakeover_(contextTakeover) {
    // zlib cannot compress within 256 bytes: it turns -8 into an error.
    REQUIRE_MESSAGE(windowBits >= 9, "zlib cannot compress within " << windowBits << " bits");
    REQUIRE(deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -windowBits, 8,
                         Z_DEFAULT_STRATEGY) == Z_OK);
  }
  ~ClientDeflater() { deflateEnd(&z_); }
  ClientDeflater(const ClientDeflater&) = delete;
  ClientDeflater& operator=(const ClientDeflater&) = delete;

  /// One message's payload: deflated with a sync flush, the 00 00 ff ff the flush ends with
  /// taken off (7.2.1).
  std::string compress(std::string_view payload) {
    std::string out(deflateBound(&z_, static_cast<uLong>(payload.size())) + 64, '\0');
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
    z_.avail_in = static_cast<uInt>(payload.size());
    std::size_t produced = 0;
    int r = Z_OK;
    for (int i = 0; i < 64; ++i) {
      z_.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
      z_.avail_out = static_cast<uInt>(out.size() - produced);
      r = deflate(&z_, Z_SYNC_FLUSH);
      produced = out.size() - z_.avail_out;
      if (r != Z_OK || z_.avail_out != 0) break;
      out.resize(out.size() * 2);
    }
    REQUIRE(r == Z_OK);
    REQUIRE(z_.avail_in == 0);
    out.resize(produced);
    REQUIRE(out.ends_with(std::string_view("\0\0\xff\xff", 4)));
    out.resize(out.size() - 4);
    if (!contextTakeover_) REQUIRE(deflateReset(&z_) == Z_OK);
    return out;
  }

 private:
  z_stream z_{};
  bool contextTakeover_;
};

/// A decompressor for the server's messages (RFC 7692 7.2.2): raw inflate within
/// 2^windowBits bytes. One object keeps the context from message to message.
///
/// zlib lets a distance reach back into what the same inflate() call has written as well as
/// into its window, so with a large output buffer an inflater of any window reads a stream
/// of any window. With a window under 15 bits (the largest deflate has) the output therefore
/// comes in steps of kStrictStep bytes: a distance beyond 2^windowBits + kStrictStep - 1
/// fails as "too far back", which is what shows the server kept within a smaller window.
class ClientInflater {
 public:
  explicit ClientInflater(int windowBits)
      : windowBits_(windowBits), step_(windowBits < 15 ? kStrictStep : kChunk) {
    REQUIRE(inflateInit2(&z_, -windowBits) == Z_OK);
  }
  ~ClientInflater() { inflateEnd(&z_); }
  ClientInflater(const ClientInflater&) = delete;
  ClientInflater& operator=(const ClientInflater&) = delete;
  int windowBits() const { return windowBits_; }

  /// One message's payload inflated, the 00 00 ff ff tail put back first; nullopt, and zlib's
  /// reason in `why`, when it is not deflate data that this window can read, or would inflate
  /// past `limit` bytes.
  std::optional<std::string> inflate(std::string_view payload, std::string& why,
                                     std::size_t limit = 64u << 20) {
    const auto fail = [&](std::string what) {
      why = std::move(what);
      return std::nullopt;
    };
    std::string in(payload);
    in.append("\0\0\xff\xff", 4);
    z_.next_in = reinterpret_cast<Bytef*>(in.data());
    z_.avail_in = static_cast<uInt>(in.size());
    std::string out;
    for (std::size_t guard = 0; guard < limit / step_ + 2; ++guard) {
      z_.next_out = chunk_.get();
      z_.avail_out = step_;
      const int r = ::inflate(&z_, Z_SYNC_FLUSH);
      out.append(reinterpret_cast<const char*>(chunk_.get()), step_ - z_.avail_out);
      if (out.size() > limit) return fail("more than " + std::to_string(limit) + " bytes");
      if (r == Z_STREAM_END) {
        // A final block (BFINAL): only the tail may follow it. The stream starts over.
        if (z_.avail_in != 4) return fail("data after the final block");
        inflateReset(&z_);
        return out;
      }
      if (r != Z_OK && r != Z_BUF_ERROR)
        return fail(z_.msg ? z_.msg : "zlib error " + std::to_string(r));
      if (z_.avail_in == 0 && z_.avail_out != 0) return out;  // all in, all out
      if (r == Z_BUF_ERROR && z_.avail_out != 0) return fail("truncated data");
    }
    return fail("more output than the limit allows");
  }

 private:
  static constexpr uInt kChunk = 64 * 1024;
  static constexpr uInt kStrictStep = 16;
  z_stream z_{};
  int windowBits_;
  uInt step_;
  std::unique_ptr<Bytef[]> chunk_{new Bytef[kChunk]};
};

/// `payload` inflated on its own, by a new inflater with a window of 2^windowBits bytes.
inline std::optional<std::string> inflateAlone(std::string_view payload, int windowBits,
                                               std::string& why) {
  return ClientInflater(windowBits).inflate(payload, why);
}

// ---- the client ----------------------------------------------------------------------------

/// How Peer upgrades: the key it sends, any extra header lines ("Name: value\r\n"), and the
/// permessage-deflate offers it makes (a Sec-WebSocket-Extensions value; empty: none).
struct Upgrade {
  std::string key = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455 1.3
  std::string extraHeaders;
  std::string extensions;
};

/// An upgrade that offers `extensions` (permessage-deflate offers).
inline Upgrade offering(std::string extensions) {
  Upgrade u;
  u.extensions = std::move(extensions);
  return u;
}

/// The values of the header `name` (any case) in an HTTP head, joined with ", " (RFC 7230
/// 3.2.2); nullopt when it has none.
inline std::optional<std::string> headerValues(std::string_view head, std::string_view name) {
  std::optional<std::string> joined;
  const auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  for (std::size_t start = head.find("\r\n"); start != std::string_view::npos;) {
    start += 2;
    const std::size_t end = head.find("\r\n", start);
    const auto line = head.substr(start, end == std::string_view::npos ? end : end - start);
    start = end;
    const std::size_t colon = line.find(':');
    if (colon != name.size() || !std::equal(name.begin(), name.end(), line.begin(),
                                            [&](char a, char b) { return lower(a) == lower(b); }))
      continue;
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    joined = joined ? *joined + ", " + std::string(value) : std::string(value);
  }
  return joined;
}

/// The Sec-WebSocket-Accept value for `key` (RFC 6455 4.2.2), computed by Boost.Beast.
inline std::string acceptFor(std::string_view key) {
  test::websocket::detail::sec_ws_accept_type accept;
  test::websocket::detail::make_sec_ws_accept(accept,
                                              test::beast::string_view(key.data(), key.size()));
  return std::string(accept.data(), accept.size());
}

/// A raw WebSocket client over loopback, upgraded to `target` by its constructor.
class Peer {
 public:
  explicit Peer(std::uint16_t port, std::string_view target = "/echo", Upgrade upgrade = {}) {
    connect(port);
    if (overTls()) startTls();
    this->upgrade(target, upgrade);
  }
  ~Peer() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // ---- writing ----

  /// Writes all of `bytes` in one send() call where the kernel takes them (the server may
  /// still read them in pieces). False when the connection failed or stayed full for kWait.
  bool write(std::string_view bytes) { return writeChunked(bytes, bytes.size()); }

  /// Writes `bytes` in separate send() calls of at most `chunk` bytes (TCP_NODELAY is on,
  /// so each leaves as a segment of its own).
  bool writeChunked(std::string_view bytes, std::size_t chunk) {
    chunk = std::max<std::size_t>(chunk, 1);
    for (std::size_t guard = 0; !bytes.empty() && guard < 100'000'000; ++guard) {
      const std::size_t want = std::min(chunk, bytes.size());
      if (ssl_) {  // one TLS record of `want` bytes (or what fits), as one segment
        std::size_t n = 0;
        ERR_clear_error();
        errno = 0;
        const int r = SSL_write_ex(ssl_, bytes.data(), want, &n);
        if (r == 1) {
          bytes.remove_prefix(n);
          continue;
        }
        if (!waitTls(SSL_get_error(ssl_, r), "write")) return false;
        continue;
      }
      const ssize_t n = ::send(fd_, bytes.data(), want, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        bytes.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd pfd{fd_, POLLOUT, 0};
        const int r = ::poll(&pfd, 1, static_cast<int>(kWait.count()));
        if (r == 0) return setError("write timed out (the server does not read)");
        if (r < 0 && errno != EINTR) return setError(std::string("poll: ") + std::strerror(errno));
        continue;
      }
      return setError(std::string("write: ") + std::strerror(errno));
    }
    return bytes.empty();
  }

  /// Writes each string with its own write.
  bool writeEach(const std::vector<std::string>& pieces) {
    for (const auto& p : pieces)
      if (!write(p)) return false;
    return true;
  }

  /// A message as this client sends it: compressed when permessage-deflate was agreed and
  /// `compress` (RSV1 on its first frame only), then cut into frames of at most `fragment`
  /// payload bytes (0: one frame), as Autobahn's auto-fragmentation does. With a compression
  /// context kept, messages must be sent in the order they were encoded.
  std::string encodeMessage(std::uint8_t opcode, std::string_view payload, std::size_t fragment = 0,
                            bool compress = true) {
    const bool z = compress && deflater_;
    const std::string body = z ? deflater_->compress(payload) : std::string(payload);
    std::string_view rest = body;
    if (fragment == 0) fragment = std::max<std::size_t>(rest.size(), 1);
    std::string out;
    bool first = true;
    do {
      const std::size_t n = std::min(fragment, rest.size());
      out += frame(first ? opcode : op::continuation, rest.substr(0, n), n == rest.size(),
                   first && z ? 0x4 : 0);
      rest.remove_prefix(n);
      first = false;
    } while (!rest.empty());
    return out;
  }
  bool sendMessage(std::uint8_t opcode, std::string_view payload, std::size_t fragment = 0,
                   bool compress = true) {
    return write(encodeMessage(opcode, payload, fragment, compress));
  }

  // ---- reading ----

  /// The next server frame; nullopt when the connection ended, failed, or nothing arrived
  /// for `wait`.
  std::optional<Frame> readFrame(Millis wait = kWait) {
    if (!need(2, wait)) return std::nullopt;
    const auto b0 = static_cast<unsigned char>(buf_[pos_]);
    const auto b1 = static_cast<unsigned char>(buf_[pos_ + 1]);
    Frame f;
    f.fin = (b0 & 0x80) != 0;
    f.rsv = (b0 >> 4) & 0x7;
    f.opcode = b0 & 0x0F;
    f.masked = (b1 & 0x80) != 0;
    const unsigned len7 = b1 & 0x7F;
    f.lengthBytes = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    const std::size_t head = 2 + f.lengthBytes + (f.masked ? 4 : 0);
    if (!need(head, wait)) return std::nullopt;
    f.length = len7;
    if (f.lengthBytes) {
      f.length = 0;
      for (std::size_t i = 0; i < f.lengthBytes; ++i)
        f.length = (f.length << 8) | static_cast<unsigned char>(buf_[pos_ + 2 + i]);
    }
    if (f.length > (std::uint64_t{1} << 32)) return setError("absurd frame length"), std::nullopt;
    if (!need(head + f.length, wait)) return std::nullopt;
    f.payload.assign(buf_, pos_ + head, static_cast<std::size_t>(f.length));
    if (f.masked) {
      const char* mask = buf_.data() + pos_ + head - 4;
      for (std::size_t i = 0; i < f.payload.size(); ++i) f.payload[i] ^= mask[i & 3];
    }
    consume(head + static_cast<std::size_t>(f.length));
    return f;
  }

  /// Every frame until the server ends the connection (or `wait` passes without news).
  std::vector<Frame> readToEnd(Millis wait = kWait) {
    std::vector<Frame> frames;
    for (int i = 0; i < 100'000; ++i) {
      auto f = readFrame(wait);
      if (!f) break;
      frames.push_back(std::move(*f));
    }
    return frames;
  }

  /// The next whole data message (its frames joined), with any control frames that came
  /// before or between its frames appended to `controls`; nullopt when something else came
  /// (a close frame: see lastFrame()) or nothing did.
  std::optional<Event> readMessage(std::vector<Frame>* controls = nullptr, Millis wait = kWait) {
    std::optional<Event> message;
    for (int i = 0; i < 1'000'000; ++i) {
      auto f = readFrame(wait);
      if (!f) return std::nullopt;
      checkFrameForm(*f, deflate_.has_value());
      last_ = *f;
      if (f->opcode == op::ping || f->opcode == op::pong) {
        if (controls) controls->push_back(std::move(*f));
        continue;
      }
      if (f->opcode == op::close) return std::nullopt;
      if (!message) {
        if (f->opcode == op::continuation) return std::nullopt;  // nothing to continue
        message = Event{f->opcode, std::move(f->payload), {}, false, (f->rsv & 0x4) != 0};
      } else {
        if (f->opcode != op::continuation) return std::nullopt;  // a new message inside
        message->payload += f->payload;
      }
      if (!f->fin) continue;
      if (message->compressed) {
        lastCompressed_ = message->payload;
        auto inflated = inflateMessage(message->payload);
        if (!inflated) return std::nullopt;
        message->payload = std::move(*inflated);
      }
      return message;
    }
    return std::nullopt;
  }
  /// The last frame readMessage() read.
  const std::optional<Frame>& lastFrame() const { return last_; }
  /// The payload of the last compressed message readMessage() read, as it came.
  const std::string& lastCompressed() const { return lastCompressed_; }

  /// A compressed message from the server inflated as agreed, within the server's agreed
  /// window (which shows that it kept to it): by a new inflater when the server does not keep
  /// its context, which shows that the message stands on its own, else by this connection's
  /// inflater, which holds the earlier messages. nullopt, and a failed check, when it does not
  /// inflate so.
  std::optional<std::string> inflateMessage(std::string_view payload) {
    CHECK_MESSAGE(deflate_.has_value(), "a compressed message, and no extension was agreed");
    if (!deflate_) return std::nullopt;
    std::string why;
    const bool kept = deflate_->serverContextTakeover;
    auto out = kept ? inflater_->inflate(payload, why)
                    : inflateAlone(payload, deflate_->serverWindowBits, why);
    CHECK_MESSAGE(out.has_value(),
                  "a compressed message of "
                      << payload.size() << " bytes from the server does not inflate (" << why
                      << ") with a " << deflate_->serverWindowBits << "-bit window and "
                      << (kept ? "the context of earlier messages" : "no context"));
    return out;
  }

  /// What the response agreed when it accepted a permessage-deflate offer.
  const std::optional<DeflateAgreement>& deflate() const { return deflate_; }
  /// The response's Sec-WebSocket-Extensions (several headers joined); nullopt: none.
  const std::optional<std::string>& extensionsResponse() const { return extensions_; }

  /// True when the server ended the TCP connection with FIN (EOF) — not a reset, not a
  /// timeout — and nothing was left unread.
  /// The 101 response head, up to and including its blank line.
  const std::string& responseHead() const { return head_; }

  bool closedByServer() const { return eof_ && pos_ == buf_.size(); }
  bool timedOut() const { return timedOut_; }

  /// The state of the connection, for failure messages.
  std::string status() const {
    return "connection: " + (lastError_.empty() ? std::string("open") : lastError_) + ", " +
           std::to_string(buf_.size() - pos_) + " unread bytes '" +
           printable(std::string_view(buf_).substr(pos_), 32) + "'";
  }

 private:
  void connect(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      REQUIRE_MESSAGE(errno == EINPROGRESS, "connect: " << std::strerror(errno));
      pollfd pfd{fd_, POLLOUT, 0};
      REQUIRE_MESSAGE(::poll(&pfd, 1, static_cast<int>(kWait.count())) == 1, "connect timed out");
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
      REQUIRE_MESSAGE(err == 0, "connect: " << std::strerror(err));
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }

  // Sends the RFC 6455 example upgrade request and consumes the 101 response; whatever
  // follows the response stays in the buffer for readFrame().
  void upgrade(std::string_view target, const Upgrade& u) {
    REQUIRE(
        write(std::string("GET ") + std::string(target) +
              " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\nSec-WebSocket-Key: " +
              u.key + "\r\nSec-WebSocket-Version: 13\r\n" +
              (u.extensions.empty() ? "" : "Sec-WebSocket-Extensions: " + u.extensions + "\r\n") +
              u.extraHeaders + "\r\n"));
    std::size_t end = std::string::npos;
    for (int i = 0; i < 1000 && end == std::string::npos; ++i) {
      end = buf_.find("\r\n\r\n");
      if (end == std::string::npos && (buf_.size() > 16384 || !fill(kWait))) break;
    }
    REQUIRE_MESSAGE(end != std::string::npos, "no upgrade response; " << status());
    head_ = buf_.substr(0, end + 4);
    consume(end + 4);
    INFO("response:\n" << head_);
    REQUIRE(head_.starts_with("HTTP/1.1 101 "));
    REQUIRE(head_.find("\r\nSec-WebSocket-Accept: " + acceptFor(u.key) + "\r\n") !=
            std::string::npos);
    agreeExtensions(u.extensions);
  }

  // Reads the response's extensions against what was offered: RFC 6455 4.1 has a client fail
  // the connection on an extension it did not offer, RFC 7692 7.1 says how permessage-deflate
  // is answered. Sets up the compressor and the inflater when it was agreed.
  void agreeExtensions(const std::string& offered) {
    extensions_ = headerValues(head_, "sec-websocket-extensions");
    if (offered.empty()) {
      CHECK_MESSAGE(!extensions_, "extensions in the response, and none was offered: "
                                      << extensions_.value_or(""));
      return;
    }
    std::string why;
    const auto list = parseExtensions(offered, why);
    REQUIRE_MESSAGE(list, "the test's offer: " << why);
    std::vector<DeflateParams> offers;
    for (const auto& e : *list) {
      REQUIRE_MESSAGE(e.name == "permessage-deflate", "the test offers only permessage-deflate");
      const auto params = readDeflateParams(e, false, why);
      REQUIRE_MESSAGE(params, "the test's offer: " << why);
      offers.push_back(*params);
    }
    if (!extensions_) return;  // declined: no extension
    deflate_ = agreeDeflate(offers, *extensions_, why);
    CHECK_MESSAGE(deflate_.has_value(), "the response '" << *extensions_ << "' to '" << offered
                                                         << "' breaks RFC 7692: " << why);
    if (!deflate_) return;
    deflater_.emplace(deflate_->clientWindowBits, deflate_->clientContextTakeover);
    if (deflate_->serverContextTakeover) inflater_.emplace(deflate_->serverWindowBits);
  }

  // True once `n` unread bytes are buffered.
  bool need(std::size_t n, Millis wait) {
    for (int i = 0; i < 10'000'000 && buf_.size() - pos_ < n; ++i)
      if (!fill(wait)) return false;
    return buf_.size() - pos_ >= n;
  }

  void consume(std::size_t n) {
    pos_ += n;
    if (pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
    } else if (pos_ > (1u << 20) && pos_ > buf_.size() / 2) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
  }

  // The TLS handshake over the connected socket, every wait bounded by kWait.
  void startTls() {
    ssl_ = SSL_new(clientTlsContext());
    REQUIRE(ssl_ != nullptr);
    REQUIRE(SSL_set_fd(ssl_, fd_) == 1);
    REQUIRE(SSL_set_tlsext_host_name(ssl_, "localhost") == 1);
    REQUIRE(SSL_set1_host(ssl_, "localhost") == 1);
    SSL_set_connect_state(ssl_);
    ERR_clear_error();
    bool done = false;
    for (int i = 0; i < 1000 && !done; ++i) {
      const int r = SSL_do_handshake(ssl_);
      done = r == 1;
      if (!done && !waitTls(SSL_get_error(ssl_, r), "TLS handshake")) break;
    }
    REQUIRE_MESSAGE(done, "no TLS handshake; " << status());
  }

  // After an SSL call that did not complete: waits (bounded) for what it wants; false, with
  // the error recorded, when it failed for good or the wait timed out.
  bool waitTls(int error, const char* during, Millis wait = kWait) {
    short events = 0;
    if (error == SSL_ERROR_WANT_READ) events = POLLIN;
    if (error == SSL_ERROR_WANT_WRITE) events = POLLOUT;
    if (events == 0) {
      const int saved = errno;
      if (error == SSL_ERROR_ZERO_RETURN) {
        eof_ = true;
        return setError("EOF (the server sent close_notify)");
      }
      reset_ = true;
      const std::string reason = error == SSL_ERROR_SYSCALL && saved != 0
                                     ? std::string(std::strerror(saved))
                                     : openSslErrors();
      return setError(std::string(during) + ": SSL_get_error " + std::to_string(error) + ": " +
                      reason);
    }
    pollfd pfd{fd_, events, 0};
    const int r = ::poll(&pfd, 1, static_cast<int>(wait.count()));
    if (r == 0) {
      timedOut_ = true;
      return setError(std::string(during) + " timed out after " + std::to_string(wait.count()) +
                      " ms");
    }
    return true;
  }

  // fill() over TLS: the next decrypted bytes. A clean end is the server's close_notify (an
  // EOF without it is a truncation, reported as an error).
  bool fillTls(Millis wait) {
    for (int i = 0; i < 1000; ++i) {
      std::size_t n = 0;
      ERR_clear_error();
      errno = 0;
      const int r = SSL_read_ex(ssl_, tmp_.get(), kChunk, &n);
      if (r == 1) {
        buf_.append(tmp_.get(), n);
        return true;
      }
      if (!waitTls(SSL_get_error(ssl_, r), "read", wait)) return false;
    }
    return setError("read: no progress");
  }

  // Appends what arrives next to the buffer; false on EOF, error, or `wait` without data.
  bool fill(Millis wait) {
    if (eof_ || reset_) return false;
    if (ssl_) return fillTls(wait);
    for (int i = 0; i < 1000; ++i) {
      const ssize_t n = ::recv(fd_, tmp_.get(), kChunk, MSG_DONTWAIT);
      if (n > 0) {
        buf_.append(tmp_.get(), static_cast<std::size_t>(n));
        return true;
      }
      if (n == 0) {
        eof_ = true;
        return setError("EOF (the server closed the connection)");
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        reset_ = true;
        return setError(std::string("read: ") + std::strerror(errno));
      }
      pollfd pfd{fd_, POLLIN, 0};
      const int r = ::poll(&pfd, 1, static_cast<int>(wait.count()));
      if (r == 0) {
        timedOut_ = true;
        return setError("timed out after " + std::to_string(wait.count()) + " ms");
      }
    }
    return setError("read: no progress");
  }

  bool setError(std::string e) {
    lastError_ = std::move(e);
    return false;
  }

  static constexpr std::size_t kChunk = 256 * 1024;
  int fd_ = -1;
  SSL* ssl_ = nullptr;  // over TLS
  std::unique_ptr<char[]> tmp_{new char[kChunk]};
  std::string head_;
  std::string buf_;
  std::size_t pos_ = 0;
  bool eof_ = false;
  bool reset_ = false;
  bool timedOut_ = false;
  std::string lastError_;
  std::optional<Frame> last_;
  // permessage-deflate, when agreed.
  std::optional<std::string> extensions_;
  std::optional<DeflateAgreement> deflate_;
  std::optional<ClientDeflater> deflater_;
  std::optional<ClientInflater> inflater_;  // only while the server keeps its context
  std::string lastCompressed_;
};

// ---- expectations --------------------------------------------------------------------------

/// Reads everything the server sends until it ends the connection and checks, strictly, that
/// it is exactly `expected` (in order, nothing more), every frame well formed, and that the
/// server then closed TCP cleanly (FIN). Returns whether all held.
inline bool expectExactly(Peer& peer, const std::vector<Event>& expected, Millis wait = kWait) {
  const auto frames = peer.readToEnd(wait);
  const auto events = toEvents(frames, [&](std::string_view z) { return peer.inflateMessage(z); });
  INFO("server frames: " << describeAll(frames));
  INFO(peer.status());
  for (const auto& f : frames) checkFrameForm(f, peer.deflate().has_value());
  bool same = events.size() == expected.size();
  for (std::size_t i = 0; same && i < events.size(); ++i) same = matches(events[i], expected[i]);
  CHECK_MESSAGE(same,
                "expected: " << describeAll(expected) << "\n     got: " << describeAll(events));
  CHECK_MESSAGE(peer.closedByServer(), "the server did not close the TCP connection");
  return same && peer.closedByServer();
}

/// Reads the next event — a control frame, or a data message with its continuation frames,
/// however many — and checks it is exactly `want` (used on a connection that goes on).
inline bool expectNext(Peer& peer, const Event& want, Millis wait = kWait) {
  std::vector<Frame> frames;
  for (int i = 0; i < 100'000; ++i) {
    auto f = peer.readFrame(wait);
    if (!f) break;
    checkFrameForm(*f, peer.deflate().has_value());
    frames.push_back(std::move(*f));
    const auto& first = frames.front();
    const bool openMessage = (first.opcode == op::text || first.opcode == op::binary) &&
                             frames.back().opcode <= op::binary && !frames.back().fin;
    if (!openMessage) break;
  }
  INFO(peer.status());
  REQUIRE_MESSAGE(!frames.empty(), "no frame came; expected " << describe(want));
  const auto events = toEvents(frames, [&](std::string_view z) { return peer.inflateMessage(z); });
  const bool ok = events.size() == 1 && matches(events[0], want);
  CHECK_MESSAGE(ok, "expected: " << describe(want) << "\n     got: " << describeAll(frames));
  return ok;
}

/// Reads the next message and checks it is `payload` with `opcode`, byte for byte (inflated
/// when it came compressed), and, when `compressed` is given, that it came compressed or not.
inline bool expectMessage(Peer& peer, std::uint8_t opcode, const std::string& payload,
                          std::optional<bool> compressed = std::nullopt) {
  std::vector<Frame> controls;
  auto m = peer.readMessage(&controls);
  INFO(peer.status());
  const std::string instead = !m && peer.lastFrame() ? describe(*peer.lastFrame()) : "-";
  INFO("last frame read: " << instead);
  CHECK_MESSAGE(m.has_value(),
                "no echo of " << opcodeName(opcode) << " of " << payload.size() << " bytes");
  if (!m) return false;
  CHECK_MESSAGE(controls.empty(), "unexpected control frames: " << describeAll(controls));
  CHECK_MESSAGE(m->opcode == opcode, "got " << opcodeName(m->opcode));
  CHECK(m->payload.size() == payload.size());
  // Compared as a bool: doctest would print both payloads, megabytes of them.
  const bool same = m->payload == payload;
  const auto diff =
      std::mismatch(m->payload.begin(), m->payload.end(), payload.begin(), payload.end());
  CHECK_MESSAGE(same, "payload differs from byte " << (diff.first - m->payload.begin()) << " on");
  const bool form = !compressed || m->compressed == *compressed;
  CHECK_MESSAGE(form, "the echo of " << payload.size() << " bytes came "
                                     << (m->compressed ? "compressed" : "uncompressed"));
  return controls.empty() && m->opcode == opcode && same && form;
}

/// Ends a connection that must still be healthy: a close 1000 from the client is echoed,
/// and the server closes TCP.
inline bool closeCleanly(Peer& peer) {
  CHECK(peer.write(frame(op::close, closePayload(1000))));
  return expectExactly(peer, {closeWith(1000)});
}

/// The server still echoes on a new connection.
inline void checkStillEchoes(std::uint16_t port) {
  Peer peer(port);
  REQUIRE(peer.write(frame(op::text, "still here")));
  expectNext(peer, text("still here"));
  closeCleanly(peer);
}

/// Counts failed cases of a table, so that a loop can stop early instead of running into
/// one timeout per case when the server is broken in a way that makes every case wait.
class FailureBudget {
 public:
  explicit FailureBudget(int max = 5) : max_(max) {}
  /// Records a case's outcome; false once the budget is spent (then stop the loop).
  bool record(bool ok) {
    if (!ok && ++failures_ >= max_) {
      MESSAGE("stopping this table after " << failures_ << " failed cases");
      return false;
    }
    return true;
  }

 private:
  int max_;
  int failures_ = 0;
};

/// A benchmark-style line on stdout (never asserted).
inline void bench(const std::string& what, std::size_t bytes, Clock::duration elapsed) {
  const double ms = std::chrono::duration<double, std::milli>(elapsed).count();
  const double mbps = ms > 0 ? static_cast<double>(bytes) / (1024.0 * 1024.0) / (ms / 1000.0) : 0;
  std::printf("[bench] %-52s %10zu B %9.1f ms %8.1f MiB/s\n", what.c_str(), bytes, ms, mbps);
  std::fflush(stdout);
}

}  // namespace conf
