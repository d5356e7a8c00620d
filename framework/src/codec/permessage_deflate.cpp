#include "codec/permessage_deflate.hpp"

#include "codec/text.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <vector>

namespace ratchet::detail {
namespace {

constexpr std::string_view kName = "permessage-deflate";
constexpr unsigned char kTail[4] = {0x00, 0x00, 0xff, 0xff};

// ---- Sec-WebSocket-Extensions (RFC 6455 section 9.1) ---------------------------------------

struct Param {
  std::string_view name;
  std::optional<std::string> value;  // unquoted
};

bool isTokenChar(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  return std::string_view("()<>@,;:\\\"/[]?={}").find(c) == std::string_view::npos;
}

bool isToken(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), isTokenChar);
}

// Splits `s` at each `sep` outside a quoted-string, calling f(part) with each part trimmed.
template <typename F>
void splitOutsideQuotes(std::string_view s, char sep, F&& f) {
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size()) {
      if (quoted && s[i] == '\\') {
        ++i;
        continue;
      }
      if (s[i] == '"') quoted = !quoted;
      if (quoted || s[i] != sep) continue;
    }
    f(trim(s.substr(start, i - start)));
    start = i + 1;
  }
}

// A parameter's value: a token, or a quoted-string holding one (RFC 6455 9.1). nullopt
// when it is neither.
std::optional<std::string> paramValue(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    std::string unquoted;
    for (std::size_t i = 1; i + 1 < v.size(); ++i) {
      if (v[i] == '\\') {
        if (++i + 1 >= v.size()) return std::nullopt;
      } else if (v[i] == '"') {
        return std::nullopt;
      }
      unquoted.push_back(v[i]);
    }
    v = unquoted;
    if (!isToken(v)) return std::nullopt;
    return unquoted;
  }
  if (!isToken(v)) return std::nullopt;
  return std::string(v);
}

// One extension of the list: its name and parameters; nullopt when malformed.
struct Extension {
  std::string_view name;
  std::vector<Param> params;
};

std::optional<Extension> parseExtension(std::string_view text) {
  Extension e;
  bool ok = true, first = true;
  splitOutsideQuotes(text, ';', [&](std::string_view part) {
    if (first) {
      first = false;
      e.name = part;
      ok = ok && isToken(part);
      return;
    }
    const auto eq = part.find('=');
    Param p{trim(part.substr(0, eq)), std::nullopt};
    if (eq != std::string_view::npos) {
      p.value = paramValue(trim(part.substr(eq + 1)));
      ok = ok && p.value.has_value();
    }
    ok = ok && isToken(p.name);
    e.params.push_back(std::move(p));
  });
  if (!ok) return std::nullopt;
  return e;
}

// Window bits: a decimal integer 8 to 15 without leading zeros (RFC 7692 7.1.2.1).
std::optional<int> windowBits(const std::string& v) {
  int bits = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), bits);
  if (ec != std::errc{} || end != v.data() + v.size() || v[0] == '0') return std::nullopt;
  if (bits < 8 || bits > 15) return std::nullopt;
  return bits;
}

// What an offer asks for, once its parameters are known to be valid.
struct Offer {
  bool serverNoContextTakeover = false;
  bool clientNoContextTakeover = false;
  std::optional<int> serverMaxWindowBits;
  bool clientMaxWindowBits = false;  // the client can limit its window
  std::optional<int> clientMaxWindowBitsValue;
};

// The offer's parameters, each known, valid, and given once; nullopt otherwise.
std::optional<Offer> readOffer(const std::vector<Param>& params) {
  Offer o;
  bool seen[4] = {};
  for (const auto& p : params) {
    int index = -1;
    if (iequals(p.name, "server_no_context_takeover")) index = 0;
    if (iequals(p.name, "client_no_context_takeover")) index = 1;
    if (iequals(p.name, "server_max_window_bits")) index = 2;
    if (iequals(p.name, "client_max_window_bits")) index = 3;
    if (index < 0 || seen[index]) return std::nullopt;  // unknown or repeated
    seen[index] = true;
    switch (index) {
      case 0:
      case 1:
        if (p.value) return std::nullopt;  // these take no value
        (index == 0 ? o.serverNoContextTakeover : o.clientNoContextTakeover) = true;
        break;
      case 2:
        if (!p.value || !(o.serverMaxWindowBits = windowBits(*p.value))) return std::nullopt;
        break;
      default:
        o.clientMaxWindowBits = true;
        if (p.value && !(o.clientMaxWindowBitsValue = windowBits(*p.value))) return std::nullopt;
    }
  }
  return o;
}

// Accepts a valid offer under our settings, or declines it (nullopt).
std::optional<DeflateAgreement> accept(const Offer& o, const Compression& c) {
  DeflateAgreement a;
  auto& p = a.params;
  p.level = c.level;
  p.memLevel = c.memLevel;
  p.minSize = c.minSize;
  p.serverWindowBits = std::clamp(c.serverMaxWindowBits, 9, 15);
  if (o.serverMaxWindowBits) {
    // zlib cannot compress with a 256-byte window, and the RFC has us decline rather
    // than use a larger one than asked for.
    if (*o.serverMaxWindowBits < 9) return std::nullopt;
    p.serverWindowBits = std::min(p.serverWindowBits, *o.serverMaxWindowBits);
  }
  p.serverContextTakeover = c.serverContextTakeover && !o.serverNoContextTakeover;
  p.clientContextTakeover = !c.clientNoContextTakeover && !o.clientNoContextTakeover;
  p.clientWindowBits = o.clientMaxWindowBitsValue.value_or(15);

  a.response = kName;
  if (!p.serverContextTakeover) a.response += "; server_no_context_takeover";
  if (!p.clientContextTakeover) a.response += "; client_no_context_takeover";
  // Only when asked: some clients refuse a server_max_window_bits they did not offer, and
  // a smaller window than announced is always readable.
  if (o.serverMaxWindowBits)
    a.response += "; server_max_window_bits=" + std::to_string(p.serverWindowBits);
  return a;
}

}  // namespace

std::optional<DeflateAgreement> negotiateDeflate(const Request& request,
                                                 const Compression& settings) {
  std::optional<DeflateAgreement> agreed;
  for (const auto& [name, value] : request.headers()) {
    if (agreed || !iequals(name, "sec-websocket-extensions")) continue;
    splitOutsideQuotes(value, ',', [&](std::string_view item) {
      if (agreed || item.empty()) return;
      const auto e = parseExtension(item);
      if (!e || !iequals(e->name, kName)) return;
      if (const auto offer = readOffer(e->params)) agreed = accept(*offer, settings);
    });
  }
  return agreed;
}

std::optional<DeflateParams> parseDeflateResponse(std::string_view response) {
  std::optional<DeflateParams> params;
  int count = 0;
  bool valid = true;
  splitOutsideQuotes(response, ',', [&](std::string_view item) {
    const auto e = parseExtension(item);
    if (!e || !iequals(e->name, kName) || ++count > 1) {
      valid = false;
      return;
    }
    const auto o = readOffer(e->params);
    if (!o || (o->clientMaxWindowBits && !o->clientMaxWindowBitsValue)) {
      valid = false;  // a response's client_max_window_bits has a value (RFC 7692 7.1.2.2)
      return;
    }
    DeflateParams p;
    p.serverContextTakeover = !o->serverNoContextTakeover;
    p.clientContextTakeover = !o->clientNoContextTakeover;
    p.serverWindowBits = o->serverMaxWindowBits.value_or(15);
    p.clientWindowBits = o->clientMaxWindowBitsValue.value_or(15);
    params = p;
  });
  if (!valid) return std::nullopt;
  return params;
}

// ---- zlib streams --------------------------------------------------------------------------

ZStream::ZStream(Kind kind, int level, int windowBits, int memLevel) noexcept
    : kind_(kind), level_(level), windowBits_(windowBits), memLevel_(memLevel) {}

ZStream::~ZStream() {
  release();
}

z_stream_s* ZStream::get() noexcept {
  if (z_) return z_.get();
  auto z = std::unique_ptr<z_stream_s>(new (std::nothrow) z_stream_s{});
  if (!z) return nullptr;
  // Negative window bits: raw deflate, no zlib header or checksum (RFC 7692 7.2.1).
  const int r = kind_ == Kind::deflate ? deflateInit2(z.get(), level_, Z_DEFLATED, -windowBits_,
                                                      memLevel_, Z_DEFAULT_STRATEGY)
                                       : inflateInit2(z.get(), -windowBits_);
  if (r != Z_OK) return nullptr;
  z_ = std::move(z);
  return z_.get();
}

void ZStream::reset() noexcept {
  if (!z_) return;
  if (kind_ == Kind::deflate)
    deflateReset(z_.get());
  else
    inflateReset(z_.get());
}

void ZStream::release() noexcept {
  if (!z_) return;
  if (kind_ == Kind::deflate)
    deflateEnd(z_.get());
  else
    inflateEnd(z_.get());
  z_.reset();
}

bool deflateMessage(ZStream& stream, std::string_view payload, bool keepContext, std::string& out) {
  // An empty message is one empty stored block (RFC 7692 7.2.3.6), which leaves a kept
  // context as it was (zlib would refuse to flush again with nothing new).
  if (payload.empty()) {
    out.assign(1, '\0');
    return true;
  }
  z_stream_s* z = stream.get();
  if (!z) return false;
  // deflateBound() is for a whole stream; a sync flush adds its empty block (5 bytes).
  out.resize(deflateBound(z, static_cast<uLong>(payload.size())) + 16);
  z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
  z->avail_in = static_cast<uInt>(payload.size());
  std::size_t produced = 0;
  int r = Z_OK;
  for (int guard = 0; guard < 64; ++guard) {
    z->next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    z->avail_out = static_cast<uInt>(out.size() - produced);
    r = deflate(z, Z_SYNC_FLUSH);
    produced = out.size() - z->avail_out;
    // Done when the flush completed with room to spare; else grow and go on.
    if (r != Z_OK || z->avail_out != 0) break;
    out.resize(out.size() * 2);
  }
  const bool ok =
      (r == Z_OK || r == Z_BUF_ERROR) && z->avail_in == 0 && z->avail_out != 0 && produced >= 4;
  if (!keepContext || !ok) stream.reset();
  if (!ok) return false;
  out.resize(produced - 4);  // the sync flush's 0x00 0x00 0xff 0xff
  return true;
}

ZStream& sharedDeflater(const DeflateParams& params) {
  struct Entry {
    int level, windowBits, memLevel;
    std::unique_ptr<ZStream> stream;
  };
  thread_local std::vector<Entry> streams;
  for (auto& e : streams)
    if (e.level == params.level && e.windowBits == params.serverWindowBits &&
        e.memLevel == params.memLevel)
      return *e.stream;
  streams.push_back({params.level, params.serverWindowBits, params.memLevel,
                     std::make_unique<ZStream>(ZStream::Kind::deflate, params.level,
                                               params.serverWindowBits, params.memLevel)});
  return *streams.back().stream;
}

// A client that announced 8 bits may compress with 9: zlib turns 8 into 9. A larger window
// than the sender's reads its stream as well.
MessageInflater::MessageInflater(const DeflateParams& params) noexcept
    : stream_(ZStream::Kind::inflate, 0, std::max(params.clientWindowBits, 9), 0),
      contextTakeover_(params.clientContextTakeover) {}

std::uint16_t MessageInflater::inflate(std::string_view in, bool last, std::string& out,
                                       std::size_t limit, Utf8Validator* utf8) {
  if (!in.empty()) {
    // After the final block, nothing but the message's end may follow.
    if (ended_) return 1007;
    if (auto code =
            run(reinterpret_cast<const unsigned char*>(in.data()), in.size(), out, limit, utf8))
      return code;
  }
  if (!last) return 0;
  std::uint16_t code = 0;
  if (!ended_) code = run(kTail, sizeof kTail, out, limit, utf8);
  if (ended_ || !contextTakeover_) stream_.reset();
  ended_ = false;
  return code;
}

std::uint16_t MessageInflater::run(const unsigned char* in, std::size_t size, std::string& out,
                                   std::size_t limit, Utf8Validator* utf8) {
  z_stream_s* z = stream_.get();
  if (!z) return 1011;
  // zlib writes into this thread's scratch buffer, and only what it produced is appended:
  // no zero-filled room in `out`, which grows no larger than the message. Each step is
  // validated as it comes, so bad text and a "zip bomb" fail within one step (64 KiB) of
  // where they start.
  constexpr std::size_t kStep = 64 * 1024;
  thread_local const std::unique_ptr<unsigned char[]> scratch(new unsigned char[kStep]);
  z->next_in = const_cast<Bytef*>(in);
  z->avail_in = static_cast<uInt>(size);
  for (std::size_t guard = 0; guard < (std::size_t{1} << 40); ++guard) {
    const std::size_t before = out.size();
    // At the limit one byte more is one too many: room for one shows whether it comes.
    const std::size_t room = before >= limit ? 1 : std::min(limit - before, kStep);
    z->next_out = scratch.get();
    z->avail_out = static_cast<uInt>(room);
    const int r = ::inflate(z, Z_SYNC_FLUSH);
    const std::size_t produced = room - z->avail_out;
    if (before >= limit && produced != 0) return 1009;
    if (produced != 0) {
      if (before + produced > out.capacity() && 2 * out.capacity() > limit) {
        // std::string would double its capacity, past the limit: take exactly the limit.
        std::string exact;
        exact.reserve(limit);
        exact.append(out);
        out.swap(exact);
      }
      out.append(reinterpret_cast<const char*>(scratch.get()), produced);
      if (utf8 && !utf8->feed(std::string_view(out).substr(before))) return 1007;
    }
    if (r == Z_STREAM_END) {
      ended_ = true;
      return z->avail_in != 0 ? 1007 : 0;  // bytes after the final block
    }
    if (r == Z_MEM_ERROR) return 1011;
    if (r != Z_OK && r != Z_BUF_ERROR) return 1007;
    // All input taken and output to spare: inflate has given all it can for now.
    if (z->avail_in == 0 && z->avail_out != 0) return 0;
    if (r == Z_BUF_ERROR && z->avail_out != 0) return 1007;  // no progress possible
  }
  return 1007;
}

void MessageInflater::release() noexcept {
  if (!contextTakeover_) stream_.release();
}

}  // namespace ratchet::detail
