#include "payload.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace bench {
namespace {
constexpr char kHex[] = "0123456789abcdef";
constexpr std::size_t kField = 16;

// A fixed pseudo-random sequence (64-bit LCG, Knuth's MMIX constants), for the values.
struct Lcg {
  std::uint64_t state = 0x9e3779b97f4a7c15;
  unsigned next(unsigned bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<unsigned>((state >> 33) % bound);
  }
};

// The json kind's text after the head: ticker items until `room` bytes are nearly used,
// then "]}" with spaces before it to make exactly `room` bytes.
std::string jsonItems(std::size_t room) {
  static constexpr const char* kSymbols[] = {"AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "META",
                                             "TSLA", "AMD",  "INTC", "ORCL", "IBM",  "NFLX"};
  static constexpr const char* kVenues[] = {"XNAS", "XNYS", "ARCX", "BATS"};
  static constexpr const char* kSides[] = {"buy", "sell"};
  Lcg rng;
  std::string out = "\",\"items\":[";
  for (unsigned i = 0;; ++i) {  // bounded: every item adds bytes
    char item[192];
    const int n = std::snprintf(
        item, sizeof item,
        "%s{\"sym\":\"%s\",\"px\":%u.%02u,\"qty\":%u,\"side\":\"%s\",\"venue\":\"%s\","
        "\"t\":17330%08u}",
        i ? "," : "", kSymbols[rng.next(12)], 100 + rng.next(400), rng.next(100),
        100 * (1 + rng.next(50)), kSides[rng.next(2)], kVenues[rng.next(4)],
        10000000 + i * 37 + rng.next(30));
    if (out.size() + static_cast<std::size_t>(n) + 2 > room) break;
    out.append(item, static_cast<std::size_t>(n));
  }
  if (out.size() + 2 > room) out.resize(room - 2);  // tiny payloads: no whole item fits
  out.append(room - 2 - out.size(), ' ');
  out += "]}";
  return out;
}

}  // namespace

bool parsePayloadKind(std::string_view name, PayloadKind& kind) noexcept {
  if (name == "filler") return kind = PayloadKind::filler, true;
  if (name == "json") return kind = PayloadKind::json, true;
  return false;
}

Payload::Payload(std::size_t size, unsigned fields, PayloadKind kind)
    : size_(size), fields_(fields) {
  if (kind == PayloadKind::filler) {
    fieldBytes_ = std::min(size, kField * fields);
    for (unsigned i = 0; i < fields; ++i) {
      fieldAt_[i] = i * kField;
      fieldLen_[i] = std::min(kField, fieldBytes_ - std::min(fieldBytes_, i * kField));
    }
    tmpl_.assign(size, '0');
    for (std::size_t i = fieldBytes_; i < size; ++i) tmpl_[i] = static_cast<char>('a' + i % 26);
    return;
  }
  if (size < 64) throw std::invalid_argument("--payload json needs --size of at least 64");
  // {"seq":"<16>"  and for two fields  ","ts":"<16>"  : 24 or 48 bytes, multiples of 4.
  tmpl_ = "{\"seq\":\"" + std::string(kField, '0');
  fieldAt_[0] = 8;
  fieldLen_[0] = kField;
  if (fields == 2) {
    tmpl_ += "\",\"ts\":\"" + std::string(kField, '0');
    fieldAt_[1] = 32;
    fieldLen_[1] = kField;
  }
  fieldBytes_ = tmpl_.size();
  tmpl_ += jsonItems(size - fieldBytes_);
}

bool Payload::inField(std::size_t pos, unsigned& index) const noexcept {
  for (unsigned i = 0; i < fields_; ++i)
    if (pos >= fieldAt_[i] && pos < fieldAt_[i] + fieldLen_[i]) return index = i, true;
  return false;
}

void Payload::writeField(char* out, unsigned index, std::uint64_t value) const noexcept {
  const std::size_t begin = fieldAt_[index];
  const std::size_t end = begin + fieldLen_[index];
  // Most significant digit first; a field cut short by the payload size keeps the low digits.
  for (std::size_t i = begin; i < end; ++i) out[i] = kHex[(value >> (4 * (end - 1 - i))) & 0xF];
}

bool Payload::check(const char* p, std::size_t n, std::size_t offset,
                    std::uint64_t seq) const noexcept {
  if (offset + n > size_) return false;
  std::size_t i = 0;
  for (; i < n && offset + i < fieldBytes_; ++i) {  // the head: fields and fixed bytes
    const std::size_t pos = offset + i;
    unsigned field;
    if (!inField(pos, field)) {
      if (p[i] != tmpl_[pos]) return false;
    } else if (field == 0) {  // the sequence number; field 1 is read by the caller
      const std::size_t end = fieldAt_[0] + fieldLen_[0];
      if (p[i] != kHex[(seq >> (4 * (end - 1 - pos))) & 0xF]) return false;
    }
  }
  if (i >= n) return true;
  return std::memcmp(p + i, tmpl_.data() + offset + i, n - i) == 0;
}

bool Payload::readField(const char* field16, std::uint64_t& value) noexcept {
  value = 0;
  for (std::size_t i = 0; i < kField; ++i) {
    const char c = field16[i];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = static_cast<unsigned>(c - 'a' + 10);
    else
      return false;
    value = (value << 4) | d;
  }
  return true;
}

}  // namespace bench
