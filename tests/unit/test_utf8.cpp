#include "codec/utf8.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

using ratchet::detail::isValidUtf8;
using ratchet::detail::Utf8Validator;

namespace {

using namespace std::string_view_literals;

// Index of the byte at which feeding one byte at a time first fails, or -1.
long failIndex(std::string_view s) {
  Utf8Validator v;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!v.feed(s.substr(i, 1))) return static_cast<long>(i);
  }
  return -1;
}

// Encoder straight from the bit layout of RFC 3629 section 3, for the reference model.
std::string encode(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

// A reference model built by encoding every scalar value: what is a whole encoding and what
// is a proper prefix of one. Independent of the validator's state machine.
class Reference {
 public:
  Reference() {
    for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
      if (cp >= 0xD800 && cp <= 0xDFFF) continue;
      const std::string e = encode(cp);
      whole_.insert(key(e));
      for (std::size_t n = 1; n < e.size(); ++n) prefixes_.insert(key(e.substr(0, n)));
    }
  }
  enum Verdict { kInvalid, kIncomplete, kComplete };
  Verdict operator()(std::string_view s) const {
    std::size_t i = 0;
    while (i < s.size()) {
      std::size_t n = 0;
      for (std::size_t len = 1; len <= 4 && i + len <= s.size(); ++len) {
        if (whole_.count(key(s.substr(i, len)))) {
          n = len;
          break;
        }
      }
      if (n == 0) {
        const std::string_view rest = s.substr(i);
        return rest.size() < 4 && prefixes_.count(key(rest)) ? kIncomplete : kInvalid;
      }
      i += n;
    }
    return kComplete;
  }

 private:
  static std::uint64_t key(std::string_view s) {
    std::uint64_t k = s.size();
    for (unsigned char c : s) k = (k << 8) | c;
    return k;
  }
  std::unordered_set<std::uint64_t> whole_, prefixes_;
};

const std::vector<std::string_view> kValid = {
    ""sv,
    "Hello, world"sv,
    "\0"sv,
    "\x7F"sv,
    "\xC2\x80"sv,                                      // U+0080
    "\xDF\xBF"sv,                                      // U+07FF
    "\xE0\xA0\x80"sv,                                  // U+0800
    "\xED\x9F\xBF"sv,                                  // U+D7FF, just below the surrogates
    "\xEE\x80\x80"sv,                                  // U+E000, just above them
    "\xEF\xBF\xBF"sv,                                  // U+FFFF
    "\xF0\x90\x80\x80"sv,                              // U+10000
    "\xF4\x8F\xBF\xBF"sv,                              // U+10FFFF
    "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5"sv,  // κόσμε
    "caf\xC3\xA9 \xE2\x82\xAC 100 \xF0\x9F\x98\x80 and a long ASCII tail, 0123456789"sv,
    "0123456789abcdef\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9xyz"sv,
};

struct Invalid {
  std::string_view bytes;
  long failAt;  // index of the first byte that cannot continue a valid prefix
};
const std::vector<Invalid> kInvalid = {
    {"\x80"sv, 0},  // lone continuation bytes
    {"\xBF"sv, 0},
    {"a\x80"sv, 1},
    {"\xC3\xA9\x80"sv, 2},
    {"\xC0\x80"sv, 0},  // C0/C1: overlong 2-byte forms
    {"\xC0\xAF"sv, 0},
    {"\xC1\xBF"sv, 0},
    {"\xE0\x80\x80"sv, 1},  // overlong 3-byte forms
    {"\xE0\x9F\xBF"sv, 1},
    {"\xF0\x80\x80\x80"sv, 1},  // overlong 4-byte forms
    {"\xF0\x8F\xBF\xBF"sv, 1},
    {"\xED\xA0\x80"sv, 1},  // surrogates U+D800..U+DFFF
    {"\xED\xAD\xBF"sv, 1},
    {"\xED\xB0\x80"sv, 1},
    {"\xED\xBF\xBF"sv, 1},
    {"\xF4\x90\x80\x80"sv, 1},  // above U+10FFFF
    {"\xF4\xBF\xBF\xBF"sv, 1},
    {"\xF5\x80\x80\x80"sv, 0},  // bytes that never occur
    {"\xF7\xBF\xBF\xBF"sv, 0},
    {"\xF8\x88\x80\x80\x80"sv, 0},
    {"\xFC\x84\x80\x80\x80\x80"sv, 0},
    {"\xFE"sv, 0},
    {"\xFF"sv, 0},
    {"\xC3\x28"sv, 1},  // a sequence cut short by a non-continuation byte
    {"\xE2\x82\x28"sv, 2},
    {"\xF0\x9F\x98\x28"sv, 3},
    {"\xE2\x82\xC3\xA9"sv, 2},
    {"\xE2\x82\xAC\xBF"sv, 3},  // one continuation byte too many
    {"abcdefghijklmnop\xFF"sv, 16},
    {"\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80"sv, 12},
};

const std::vector<std::string_view> kTruncated = {
    "\xC3"sv, "\xE2"sv,     "\xE2\x82"sv,     "\xE0\xA0"sv,     "\xED\x9F"sv,
    "\xF0"sv, "\xF0\x9F"sv, "\xF0\x9F\x98"sv, "\xF4\x8F\xBF"sv, "abc\xC3"sv,
};

}  // namespace

TEST_CASE("utf8: valid samples, whole and split at every position") {
  for (std::string_view s : kValid) {
    CAPTURE(s);
    CHECK(isValidUtf8(s));
    CHECK(failIndex(s) == -1);
    for (std::size_t cut = 0; cut <= s.size(); ++cut) {
      Utf8Validator v;
      CHECK(v.feed(s.substr(0, cut)));
      CHECK(v.feed(s.substr(cut)));
      CHECK(v.complete());
    }
  }
}

TEST_CASE("utf8: invalid samples fail at the first impossible byte") {
  for (const Invalid& bad : kInvalid) {
    CAPTURE(bad.bytes);
    CHECK_FALSE(isValidUtf8(bad.bytes));
    CHECK(failIndex(bad.bytes) == bad.failAt);
    // Everything before the failing byte is a valid prefix; the failing byte breaks it.
    Utf8Validator v;
    CHECK(v.feed(bad.bytes.substr(0, static_cast<std::size_t>(bad.failAt))));
    CHECK_FALSE(v.feed(bad.bytes.substr(static_cast<std::size_t>(bad.failAt), 1)));
    CHECK_FALSE(v.complete());
    // Failure is sticky until reset().
    CHECK_FALSE(v.feed("a"));
    CHECK_FALSE(v.complete());
    v.reset();
    CHECK(v.feed("a"));
    CHECK(v.complete());
  }
}

TEST_CASE("utf8: ASCII fast path finds a bad byte at any offset") {
  // ASCII runs before and after cover every alignment of the 8-byte word check.
  for (const Invalid& bad : kInvalid) {
    for (std::size_t pad = 0; pad <= 17; ++pad) {
      const std::string s = std::string(pad, 'x') + std::string(bad.bytes) + std::string(9, 'y');
      CAPTURE(s);
      CHECK_FALSE(isValidUtf8(s));
      CHECK(failIndex(s) == static_cast<long>(pad) + bad.failAt);
      Utf8Validator v;
      CHECK_FALSE(v.feed(s));
    }
  }
  for (std::string_view good : kValid) {
    for (std::size_t pad = 0; pad <= 17; ++pad) {
      const std::string s = std::string(pad, 'x') + std::string(good) + std::string(9, 'y');
      CAPTURE(s);
      CHECK(isValidUtf8(s));
    }
  }
}

TEST_CASE("utf8: truncated sequences are prefixes but not complete") {
  for (std::string_view s : kTruncated) {
    CAPTURE(s);
    Utf8Validator v;
    CHECK(v.feed(s));
    CHECK_FALSE(v.complete());
    CHECK_FALSE(isValidUtf8(s));
    // The same bytes followed by ASCII are invalid (the sequence was cut short).
    CHECK_FALSE(isValidUtf8(std::string(s) + "abcdefghij"));
  }
  // Completing a truncated sequence in a later feed makes it whole.
  Utf8Validator v;
  CHECK(v.feed("\xF0\x9F"));
  CHECK_FALSE(v.complete());
  CHECK(v.feed("\x98"));
  CHECK_FALSE(v.complete());
  CHECK(v.feed("\x80"));
  CHECK(v.complete());
}

TEST_CASE("utf8: agrees with a reference model on short strings") {
  const Reference reference;
  long mismatches = 0;
  std::string first;
  const auto check = [&](const std::string& s) {
    const Reference::Verdict want = reference(s);
    Utf8Validator v;
    const bool fed = v.feed(s);
    if (fed != (want != Reference::kInvalid) || v.complete() != (want == Reference::kComplete)) {
      if (mismatches++ == 0) first = s;
    }
  };
  std::string s;
  // Every 1- and 2-byte string.
  for (int a = 0; a < 256; ++a) {
    check(std::string(1, static_cast<char>(a)));
    for (int b = 0; b < 256; ++b) {
      check({static_cast<char>(a), static_cast<char>(b)});
    }
  }
  // 3-byte strings over the bytes where behaviour changes (all continuation and 3/4-byte
  // lead bytes), also embedded in ASCII so the word-at-a-time path sees them.
  std::vector<char> bytes = {'\x00', 'A',    '\x7F', '\xC0', '\xC1',
                             '\xC2', '\xC3', '\xDF', '\xF8', '\xFF'};
  for (int c = 0x80; c <= 0xBF; ++c) bytes.push_back(static_cast<char>(c));
  for (int c = 0xE0; c <= 0xF7; ++c) bytes.push_back(static_cast<char>(c));
  for (char a : bytes) {
    for (char b : bytes) {
      for (char c : bytes) {
        check({a, b, c});
        // Built with append: g++ 12 misreports operator+ chains (-Warray-bounds, PR 105329).
        std::string padded = "0123456";
        padded.append({a, b, c}).append("89abcdef");
        check(padded);
      }
    }
  }
  // 4-byte strings over the boundary bytes of the 4-byte ranges.
  const std::vector<char> edges = {'A',    '\x7F', '\x80', '\x8F', '\x90', '\x9F', '\xA0', '\xBF',
                                   '\xC0', '\xC2', '\xE0', '\xED', '\xF0', '\xF4', '\xF5', '\xFF'};
  for (char a : edges) {
    for (char b : edges) {
      for (char c : edges) {
        for (char d : edges) check({a, b, c, d});
      }
    }
  }
  CAPTURE(first);
  CHECK(mismatches == 0);
}
