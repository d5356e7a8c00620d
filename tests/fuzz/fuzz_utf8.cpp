// libFuzzer harness: ratchet::detail::Utf8Validator and isValidUtf8.
//
// Three answers must agree on every input: the validator fed one byte at a time, fed in
// data-dependent chunks (which exercises its 8-byte ASCII fast path at every alignment),
// and isValidUtf8 in one shot, against a reference written here from RFC 3629's definition
// rather than from a state table. They must agree on whether the input is valid UTF-8, on
// whether it ends on a code point boundary, and on the first prefix that can no longer be
// the start of valid UTF-8 (the validator promises to fail at the offending byte).
//
// Input: byte 0 seeds the chunk sizes; the rest is the text.

#include "codec/utf8.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace {

using ratchet::detail::isValidUtf8;
using ratchet::detail::Utf8Validator;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Can a code point of `length` bytes take some value in [lo, hi]? Valid values for each
// length (RFC 3629 section 4): 2 bytes U+0080..U+07FF, 3 bytes U+0800..U+FFFF without the
// surrogates U+D800..U+DFFF, 4 bytes U+10000..U+10FFFF.
bool viable(int length, std::uint32_t lo, std::uint32_t hi) {
  static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  static constexpr std::uint32_t kMax[] = {0, 0x7F, 0x7FF, 0xFFFF, 0x10FFFF};
  if (lo < kMin[length]) lo = kMin[length];
  if (hi > kMax[length]) hi = kMax[length];
  if (lo > hi) return false;
  // The only hole is the surrogate block: viable unless [lo, hi] lies entirely inside it.
  return !(lo >= 0xD800 && hi <= 0xDFFF);
}

struct Reference {
  std::size_t firstBad =
      0;                 // length of the shortest prefix that is not a valid-UTF-8 prefix; 0: none
  bool complete = true;  // (when firstBad == 0) the input ends on a code point boundary
};

// Decodes per RFC 3629. After each byte of a multi-byte sequence, the code points still
// reachable are the interval [bits so far followed by zeros, bits so far followed by ones];
// the prefix stays viable while that interval meets the valid values for the length.
Reference reference(const unsigned char* s, std::size_t n) {
  Reference r;
  std::size_t i = 0;
  while (i < n) {
    const unsigned b = s[i];
    int length;
    std::uint32_t cp;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      length = 2, cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      length = 3, cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      length = 4, cp = b & 0x07;
    } else {
      r.firstBad = i + 1;  // a continuation byte without a lead, or F8..FF
      return r;
    }
    for (int seen = 1;; ++seen) {
      const int missing = 6 * (length - seen);
      const std::uint32_t lo = cp << missing;
      const std::uint32_t hi = lo | ((std::uint32_t{1} << missing) - 1);
      if (!viable(length, lo, hi)) {
        r.firstBad = i + seen;
        return r;
      }
      if (seen == length) break;
      if (i + seen == n) {
        r.complete = false;
        return r;
      }
      const unsigned c = s[i + seen];
      if ((c & 0xC0) != 0x80) {
        r.firstBad = i + seen + 1;
        return r;
      }
      cp = (cp << 6) | (c & 0x3F);
    }
    i += static_cast<std::size_t>(length);
  }
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::uint32_t seed = data[0];
  // An exactly sized heap copy, so that ASan sees any read past the end.
  const std::size_t n = size - 1;
  auto owned = std::make_unique<unsigned char[]>(n == 0 ? 1 : n);
  if (n != 0) std::memcpy(owned.get(), data + 1, n);
  const unsigned char* const s = owned.get();
  const auto view = [s](std::size_t from, std::size_t count) {
    return std::string_view(reinterpret_cast<const char*>(s) + from, count);
  };

  const Reference ref = reference(s, n);
  const bool valid = ref.firstBad == 0 && ref.complete;

  // One shot.
  check(isValidUtf8(view(0, n)) == valid);

  // One byte at a time: the first false is exactly at the reference's first bad prefix.
  {
    Utf8Validator v;
    std::size_t firstBad = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!v.feed(view(i, 1))) {
        firstBad = i + 1;
        break;
      }
      check(v.feed({}));  // an empty feed changes nothing
    }
    check(firstBad == ref.firstBad);
    if (firstBad == 0) check(v.complete() == ref.complete);
    if (firstBad != 0) {
      check(!v.complete());
      check(!v.feed(view(0, n)));  // sticky after a failure
      check(!v.feed({}));
      v.reset();
      check(v.complete());
      check(v.feed(view(0, firstBad - 1)));  // the prefix before the bad byte is fine
      check(!v.feed(view(firstBad - 1, 1)));
    }
  }

  // Data-dependent chunks: false in the chunk that holds the first bad byte, not before.
  {
    Utf8Validator v;
    std::size_t pos = 0;
    bool failed = false;
    while (pos < n) {
      seed = seed * 1103515245u + 12345u;
      const std::size_t chunk = std::min<std::size_t>(n - pos, (seed >> 16) % 24);
      const bool ok = v.feed(view(pos, chunk));
      if (!ok) {
        check(ref.firstBad > pos && ref.firstBad <= pos + chunk);
        failed = true;
        break;
      }
      check(ref.firstBad == 0 || ref.firstBad > pos + chunk);
      pos += chunk;
    }
    check(failed == (ref.firstBad != 0));
    if (!failed) check(v.complete() == ref.complete);
  }

  // Every prefix up to the first bad byte is a valid prefix; isValidUtf8 on the longest
  // one agrees with the reference on that prefix.
  if (ref.firstBad > 1) {
    const std::size_t m = ref.firstBad - 1;
    const Reference pre = reference(s, m);
    check(pre.firstBad == 0);
    check(isValidUtf8(view(0, m)) == pre.complete);
  }
  return 0;
}
