#include "deflate.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>

namespace bench {
namespace {

constexpr unsigned char kTail[4] = {0x00, 0x00, 0xff, 0xff};
constexpr int kClientLevel = 1;
constexpr int kClientMemLevel = 8;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Window bits 8..15, a plain decimal (a quoted value is allowed, RFC 7692 7.1.2).
bool windowBits(std::string_view v, int& bits) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), bits);
  return ec == std::errc{} && end == v.data() + v.size() && !v.empty() && v[0] != '0' &&
         bits >= 8 && bits <= 15;
}

}  // namespace

std::string deflateOfferValue(const DeflateOffer& offer) {
  std::string v = "permessage-deflate; client_max_window_bits";
  if (offer.clientNoContextTakeover) v += "; client_no_context_takeover";
  return v;
}

std::string parseDeflateResponse(std::string_view value, DeflateAgreement& out) {
  out = {};
  value = trim(value);
  if (value.empty()) return "no Sec-WebSocket-Extensions in the response";
  if (value.find(',') != std::string_view::npos)
    return "more than one extension in the response: " + std::string(value);
  bool first = true, seen[4] = {};
  while (!value.empty()) {  // bounded: each pass removes a parameter
    const auto semi = value.find(';');
    const auto item = trim(value.substr(0, semi));
    value = semi == std::string_view::npos ? std::string_view() : value.substr(semi + 1);
    if (first) {
      first = false;
      if (!iequals(item, "permessage-deflate"))
        return "the response names another extension: " + std::string(item);
      continue;
    }
    const auto eq = item.find('=');
    const auto name = trim(item.substr(0, eq));
    const auto arg = eq == std::string_view::npos ? std::string_view() : trim(item.substr(eq + 1));
    int index = iequals(name, "server_no_context_takeover")   ? 0
                : iequals(name, "client_no_context_takeover") ? 1
                : iequals(name, "server_max_window_bits")     ? 2
                : iequals(name, "client_max_window_bits")     ? 3
                                                              : -1;
    if (index < 0) return "unknown permessage-deflate parameter: " + std::string(name);
    if (seen[index]) return "repeated permessage-deflate parameter: " + std::string(name);
    seen[index] = true;
    if (index < 2) {
      if (eq != std::string_view::npos) return std::string(name) + " takes no value";
      (index == 0 ? out.serverNoContextTakeover : out.clientNoContextTakeover) = true;
    } else if (!windowBits(arg, index == 2 ? out.serverMaxWindowBits : out.clientMaxWindowBits)) {
      return "bad " + std::string(name) + " value";
    }
  }
  // zlib's raw deflate has no 256-byte window: we could not keep to 8.
  if (out.clientMaxWindowBits < 9) return "client_max_window_bits=8: zlib cannot compress so";
  return {};
}

// ---- zlib ---------------------------------------------------------------------------------

Deflater::Deflater(int level, int windowBits, int memLevel)
    : z_(std::make_unique<z_stream_s>()), windowBits_(windowBits) {
  if (deflateInit2(z_.get(), level, Z_DEFLATED, -windowBits, memLevel, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::bad_alloc();
}

Deflater::~Deflater() {
  deflateEnd(z_.get());
}

bool Deflater::compress(std::string_view in, std::string& out) {
  const std::size_t at = out.size();
  // One call: deflateBound() covers a whole stream, the sync flush adds an empty block.
  out.resize(at + deflateBound(z_.get(), static_cast<uLong>(in.size())) + 16);
  z_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z_->avail_in = static_cast<uInt>(in.size());
  z_->next_out = reinterpret_cast<Bytef*>(out.data() + at);
  z_->avail_out = static_cast<uInt>(out.size() - at);
  const int r = deflate(z_.get(), Z_SYNC_FLUSH);
  const std::size_t produced = out.size() - at - z_->avail_out;
  deflateReset(z_.get());
  if (r != Z_OK || z_->avail_in != 0 || z_->avail_out == 0 || produced < 4) return false;
  out.resize(at + produced - 4);
  if (produced == 4) out.push_back('\0');
  return true;
}

Inflater::Inflater(int windowBits) : z_(std::make_unique<z_stream_s>()) {
  if (inflateInit2(z_.get(), -windowBits) != Z_OK) throw std::bad_alloc();
}

Inflater::~Inflater() {
  inflateEnd(z_.get());
}

bool Inflater::inflate(std::string_view in, std::vector<char>& buffer, bool keepContext,
                       const std::function<bool(const char*, std::size_t)>& sink) {
  bool ok = true, go = true, ended = false;
  // The payload, then the tail that the sender stripped.
  const std::string_view parts[2] = {in, {reinterpret_cast<const char*>(kTail), sizeof kTail}};
  for (const auto part : parts) {
    z_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(part.data()));
    z_->avail_in = static_cast<uInt>(part.size());
    // Bounded: each pass fills the buffer or takes all input.
    while (ok && go) {
      z_->next_out = reinterpret_cast<Bytef*>(buffer.data());
      z_->avail_out = static_cast<uInt>(buffer.size());
      const int r = ::inflate(z_.get(), Z_SYNC_FLUSH);
      const std::size_t n = buffer.size() - z_->avail_out;
      if (n > 0) go = sink(buffer.data(), n);
      if (r == Z_STREAM_END) {
        ended = true;
        ok = z_->avail_in == 0;  // nothing may follow the final block
        break;
      }
      if (r != Z_OK && r != Z_BUF_ERROR) ok = false;
      if (r == Z_BUF_ERROR && z_->avail_in != 0 && z_->avail_out != 0) ok = false;
      if (z_->avail_in == 0 && z_->avail_out != 0) break;
    }
    if (!ok || !go || ended) break;  // a final block: no tail follows (RFC 7692 7.2.2)
  }
  if (ended || !keepContext || !ok) inflateReset(z_.get());
  return ok;
}

Deflater& ThreadZlib::deflater(int windowBits) {
  if (!deflater_ || deflater_->windowBits() != windowBits)
    deflater_ = std::make_unique<Deflater>(kClientLevel, windowBits, kClientMemLevel);
  return *deflater_;
}

Inflater& ThreadZlib::sharedInflater() {
  if (!inflater_) inflater_ = std::make_unique<Inflater>(15);
  return *inflater_;
}

std::vector<char>& ThreadZlib::inflateBuffer() {
  if (buffer_.empty()) buffer_.resize(64 * 1024);
  return buffer_;
}

bool ThreadZlib::inflateShared(std::string_view in,
                               const std::function<bool(const char*, std::size_t)>& sink) {
  if (cache_.empty()) cache_.resize(kCached);
  const std::size_t hash = std::hash<std::string_view>{}(in);
  for (const Cached& c : cache_) {
    if (c.hash != hash || c.in.empty() || c.in != in) continue;
    if (!c.out.empty()) sink(c.out.data(), c.out.size());
    return true;
  }
  Cached& entry = cache_[nextCached_];
  entry.in.clear();
  entry.out.clear();
  bool whole = true;
  const bool ok =
      sharedInflater().inflate(in, inflateBuffer(), false, [&](const char* p, std::size_t n) {
        entry.out.append(p, n);
        return whole = sink(p, n);
      });
  if (ok && whole && !in.empty()) {
    entry.hash = hash;
    entry.in.assign(in);
    nextCached_ = (nextCached_ + 1) % kCached;
  }
  return ok;
}

}  // namespace bench
