#include "codec/utf8.hpp"

#include <bit>
#include <cstring>

namespace ratchet::detail {
namespace {

// Validator states. kAccept sits on a code point boundary. The others count the continuation
// bytes still owed; four of them also remember that the next byte has a narrower range than
// 80..BF, which is how RFC 3629 section 4 excludes overlongs, surrogates and > U+10FFFF.
enum : std::uint32_t {
  kAccept = 0,
  kNeed1,    // 80..BF, then done
  kNeed2,    // 80..BF, then one more
  kNeed3,    // 80..BF, then two more
  kAfterE0,  // A0..BF, then one more (80..9F would be an overlong 3-byte form)
  kAfterED,  // 80..9F, then one more (A0..BF would encode a surrogate)
  kAfterF0,  // 90..BF, then two more (80..8F would be an overlong 4-byte form)
  kAfterF4,  // 80..8F, then two more (90..BF would exceed U+10FFFF)
  kReject,   // sticky until reset()
};

// For each state expecting a continuation byte: the allowed range and the state after it.
struct Continuation {
  unsigned char lo, hi;
  std::uint32_t next;
};
constexpr Continuation kContinuation[] = {
    {0, 0, kReject},        // kAccept: not used
    {0x80, 0xBF, kAccept},  // kNeed1
    {0x80, 0xBF, kNeed1},   // kNeed2
    {0x80, 0xBF, kNeed2},   // kNeed3
    {0xA0, 0xBF, kNeed1},   // kAfterE0
    {0x80, 0x9F, kNeed1},   // kAfterED
    {0x90, 0xBF, kNeed2},   // kAfterF0
    {0x80, 0x8F, kNeed2},   // kAfterF4
};

// The state after a lead byte (seen in kAccept).
constexpr std::uint32_t afterLead(unsigned char b) noexcept {
  if (b < 0x80) return kAccept;
  if (b < 0xC2) return kReject;  // a continuation byte, or C0/C1 (overlong 2-byte forms)
  if (b < 0xE0) return kNeed1;
  if (b == 0xE0) return kAfterE0;
  if (b == 0xED) return kAfterED;
  if (b < 0xF0) return kNeed2;
  if (b == 0xF0) return kAfterF0;
  if (b < 0xF4) return kNeed3;
  if (b == 0xF4) return kAfterF4;
  return kReject;  // F5..FF never occur in UTF-8
}

constexpr std::uint32_t step(std::uint32_t state, unsigned char b) noexcept {
  if (state == kAccept) return afterLead(b);
  const Continuation& c = kContinuation[state];
  return b >= c.lo && b <= c.hi ? c.next : kReject;
}

constexpr std::uint64_t kHighBits = 0x8080808080808080ull;

// Index of the first byte (in memory order) whose high bit is set in `high` (nonzero).
inline std::size_t firstHighByte(std::uint64_t high) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    return static_cast<std::size_t>(std::countr_zero(high)) / 8;
  } else {
    return static_cast<std::size_t>(std::countl_zero(high)) / 8;
  }
}

}  // namespace

bool Utf8Validator::feed(std::string_view bytes) noexcept {
  if (state_ == kReject) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* const end = p + bytes.size();
  std::uint32_t state = state_;
  while (p != end) {
    if (state == kAccept) {
      // Text is mostly ASCII: between code points, skip it a word at a time and land on the
      // first non-ASCII byte.
      while (end - p >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, sizeof word);
        if (const std::uint64_t high = word & kHighBits) {
          p += firstHighByte(high);
          break;
        }
        p += 8;
      }
      if (p == end) break;
    }
    state = step(state, *p++);
    if (state == kReject) break;
  }
  state_ = state;
  return state != kReject;
}

bool isValidUtf8(std::string_view bytes) noexcept {
  Utf8Validator v;
  return v.feed(bytes) && v.complete();
}

}  // namespace ratchet::detail
