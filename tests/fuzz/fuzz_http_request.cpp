// libFuzzer harness: ratchet::detail::RequestReader and what runs on the request it reads
// (the WebSocket handshake checks and Request's lookups).
//
// The input is fed to a RequestReader twice: whole, and in data-dependent chunks (some of
// them empty), each chunk in its own exactly sized heap buffer so that ASan sees reads past
// it. Checked on every feed: needMore carries nothing; error carries 400, 413 or 431 and a
// reason; done carries a request within the limits and a `rest` that is a suffix of the
// bytes fed; after done or error, feed() returns error. Both runs must read the same request
// and the same bytes after it, or fail alike (with the exceptions noted at the end). A
// request that was read is then put through
// checkUpgradeRequest, negotiateSubprotocol, webSocketAccept, queryParam, cookie and the
// header lookups, with their results checked against what the request contains.
//
// Input: byte 0 chooses the chunk sizes (bits 0-4) and the limits (bit 5); the rest is fed.

#include "codec/request_reader.hpp"
#include "codec/text.hpp"
#include "codec/ws_handshake.hpp"

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

using ratchet::HttpOptions;
using ratchet::Request;
using ratchet::detail::RequestReader;
using Kind = RequestReader::Result::Kind;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

HttpOptions options(std::uint8_t control) {
  HttpOptions o;
  if ((control & 0x20) == 0) {
    o.maxHeaderBytes = 4096;
    o.maxBodyBytes = 4096;
  } else {  // small enough for 413 and 431 to be reached by small inputs
    o.maxHeaderBytes = 200;
    o.maxBodyBytes = 16;
  }
  return o;
}

struct Outcome {
  Kind kind = Kind::needMore;
  int status = 0;
  std::shared_ptr<const Request> request;
  std::string after;  // done: `rest` followed by the input not fed yet
};

Outcome read(std::string_view input, std::uint8_t control, bool chunked) {
  const HttpOptions limits = options(control);
  RequestReader reader(limits);
  const unsigned spread = control & 0x1F;  // 0: one byte at a time
  std::uint32_t seed = control;
  std::size_t pos = 0;
  RequestReader::Result result;
  do {
    std::size_t chunk = input.size() - pos;
    if (chunked) {
      seed = seed * 1103515245u + 12345u;
      const std::size_t want = spread == 0 ? 1 : (seed >> 16) % (2 + 16 * spread);  // may be 0
      chunk = std::min(chunk, want);
    }
    auto buffer = std::make_unique<char[]>(chunk);
    std::memcpy(buffer.get(), input.data() + pos, chunk);
    result = reader.feed({buffer.get(), chunk});
    buffer.reset();  // the result must not point into the caller's buffer
    pos += chunk;
    switch (result.kind) {
      case Kind::needMore:
        check(result.status == 0 && !result.request && result.rest.empty());
        break;
      case Kind::error:
        check(result.status == 400 || result.status == 413 || result.status == 431);
        check(!result.request && result.rest.empty() && !result.why.empty());
        break;
      case Kind::done:
        check(result.status == 0 && result.request);
        // `rest` is what came after the request in the bytes fed so far.
        check(result.rest.size() <= pos);
        check(result.rest == input.substr(pos - result.rest.size(), result.rest.size()));
        check(result.request->body().size() <= limits.maxBodyBytes);
        break;
      default:
        check(false);
    }
  } while (result.kind == Kind::needMore && pos < input.size());

  if (result.kind != Kind::needMore) {  // the reader takes no more input
    for (std::string_view more : {std::string_view{}, std::string_view{"GET / HTTP/1.1\r\n"}}) {
      const auto again = reader.feed(more);
      check(again.kind == Kind::error && again.status != 0 && !again.request);
    }
  }
  Outcome out{result.kind, result.status, result.request, std::move(result.rest)};
  out.after.append(input.substr(pos));
  return out;
}

// ---- Checks on a request that was read ------------------------------------------------

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// RFC 6455 section 4.1: the key is the base64 encoding of 16 bytes, i.e. 22 characters, the
// last one carrying only 2 bits (A, Q, g or w), then "==".
bool referenceKeyCheck(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  for (char c : key.substr(0, 22))
    if (kBase64.find(c) == std::string_view::npos) return false;
  return std::string_view("AQgw").find(key[21]) != std::string_view::npos;
}

bool sameRequest(const Request& a, const Request& b) {
  return a.method() == b.method() && a.target() == b.target() && a.version() == b.version() &&
         a.headers() == b.headers() && a.body() == b.body();
}

// The first trimmed, non-empty item of a `sep`-separated list, or empty.
std::string_view firstItem(std::string_view list, char sep) {
  std::string_view found;
  ratchet::detail::forEachListItem(list, sep, [&](std::string_view item) {
    if (found.empty()) found = item;
  });
  return found;
}

void exerciseRequest(const Request& r, const HttpOptions& limits) {
  using ratchet::detail::iequals;
  using ratchet::detail::trim;

  // Everything the reader kept came from a header within the limit.
  std::size_t headerBytes = r.method().size() + r.target().size();
  for (const auto& [name, value] : r.headers()) headerBytes += name.size() + value.size();
  check(headerBytes <= limits.maxHeaderBytes);
  check(!r.method().empty());

  // path and query split the target at its first '?'.
  const auto q = r.target().find('?');
  if (q == std::string_view::npos) {
    check(r.path() == r.target() && r.query().empty());
  } else {
    check(r.path().size() == q && r.query() == r.target().substr(q + 1));
  }

  // Header lookups agree with the header list.
  const auto& headers = r.headers();
  for (std::size_t i = 0; i < headers.size() && i < 8; ++i) {
    const auto& [name, value] = headers[i];
    std::size_t count = 0;
    std::string_view first;
    bool seen = false;
    for (const auto& [n, v] : headers) {
      if (!iequals(n, name)) continue;
      if (!seen) first = v, seen = true;
      ++count;
    }
    check(r.headerCount(name) == count && r.hasHeader(name) && r.header(name) == first);
    if (const auto token = firstItem(value, ','); !token.empty())
      check(r.headerHasToken(name, token));
    check(ratchet::detail::isValidWebSocketKey(trim(value)) == referenceKeyCheck(trim(value)));
  }
  check(r.header("x-not-there").empty() && !r.hasHeader("x-not-there"));
  check(!r.headerHasToken("x-not-there", "a"));

  // Query parameters: fixed names, and the first parameter's own name.
  (void)r.queryParam("room");
  (void)r.queryParam("");
  if (const auto item = firstItem(r.query(), '&'); !item.empty()) {
    const auto eq = item.find('=');
    const auto key = ratchet::detail::percentDecode(item.substr(0, eq), true);
    const bool valueDecodes =
        eq == std::string_view::npos || ratchet::detail::percentDecode(item.substr(eq + 1), true);
    if (key && valueDecodes) check(r.queryParam(*key).has_value());
  }

  // Cookies: fixed names, and the first cookie's own name.
  (void)r.cookie("session");
  (void)r.cookie("");
  for (const auto& [name, value] : headers) {
    if (!iequals(name, "cookie")) continue;
    const auto item = firstItem(value, ';');
    if (const auto eq = item.find('='); eq != std::string_view::npos) {
      const auto cookie = r.cookie(trim(item.substr(0, eq)));
      check(cookie.has_value() && cookie->size() <= value.size());
    }
    break;
  }

  // The WebSocket handshake.
  const auto hc = ratchet::detail::checkUpgradeRequest(r);
  check(hc.status == 101 || hc.status == 400 || hc.status == 405 || hc.status == 426);
  for (const auto& [name, value] : hc.headers) check(!name.empty() && !value.empty());
  check((hc.status == 101) == hc.reason.empty());

  const std::vector<std::string> supported = {"chat", "superchat", "v2.ratchet"};
  const auto chosen = ratchet::detail::negotiateSubprotocol(r, supported);
  check(chosen.empty() || std::find(supported.begin(), supported.end(), chosen) != supported.end());
  if (!chosen.empty()) check(ratchet::detail::offersSubprotocols(r));
  // Offered by the client itself: its first offer is chosen when it is all we support.
  if (const auto offered = firstItem(r.header("sec-websocket-protocol"), ','); !offered.empty())
    check(ratchet::detail::negotiateSubprotocol(r, {std::string(offered)}) == offered);

  if (hc.status == 101) {
    check(r.method() == "GET" && r.version() >= 11);
    check(r.headerHasToken("upgrade", "websocket") && r.headerHasToken("connection", "upgrade"));
    check(r.headerCount("sec-websocket-key") == 1);
    const auto key = trim(r.header("sec-websocket-key"));
    check(referenceKeyCheck(key));
    const auto accept = ratchet::detail::webSocketAccept(key);
    // base64 of a 20-byte SHA-1: 27 characters and one '='.
    check(accept.size() == 28 && accept.back() == '=');
    check(accept.find_first_not_of(kBase64) == 27);
    const auto response = ratchet::detail::upgradeResponse(accept, chosen);
    check(response.starts_with("HTTP/1.1 101 ") && response.ends_with("\r\n\r\n"));
    check(response.find("\r\n\r\n") == response.size() - 4);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Outcome whole = read(input, control, false);
  const Outcome pieces = read(input, control, true);

  // Where the input is split does not change what is read. It may change when an error is
  // seen: Beast parses a partial header once it has the whole header (a bad request line
  // fed whole fails at once, fed in pieces it waits for the blank line), so one run may
  // still need more where the other has failed.
  if (whole.kind == Kind::done || pieces.kind == Kind::done) {
    check(whole.kind == pieces.kind);
    check(sameRequest(*whole.request, *pieces.request));
    check(whole.after == pieces.after);
    exerciseRequest(*whole.request, options(control));
  } else if (whole.kind == Kind::error && pieces.kind == Kind::error &&
             whole.status != pieces.status) {
    // A malformed request may be caught at a point that depends on the split, and another
    // limit may be hit first: 431 instead of 400 for a header longer than the limit, 413
    // instead of 400 for a malformed chunk extension (Beast counts a chunk's size against
    // the body limit each time it parses a chunk line again for want of more bytes). A
    // well-formed request gets the same status however it is split.
    check(whole.status == 400 || pieces.status == 400);
    if (whole.status == 431 || pieces.status == 431) {
      // (Without its blank line, the header is longer than all of the input.)
      const auto blankLine = input.find("\r\n\r\n");
      const auto headerSize =
          blankLine == std::string_view::npos ? input.size() + 1 : blankLine + 4;
      check(headerSize > options(control).maxHeaderBytes);
    }
  }
  return 0;
}
