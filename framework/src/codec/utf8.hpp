#pragma once
// Incremental UTF-8 validation (RFC 3629) for WebSocket text: fails on the first bad byte.

#include <cstdint>
#include <string_view>

namespace ratchet::detail {

/// Validates UTF-8 fed in pieces of any size, split anywhere. Rejects overlong forms,
/// surrogates (U+D800..U+DFFF) and code points above U+10FFFF as soon as the offending byte
/// is seen, so a bad text message fails before its end arrives.
class Utf8Validator {
 public:
  /// Feeds more bytes; false once the input seen so far cannot be a prefix of valid UTF-8.
  /// After false the validator stays failed until reset().
  bool feed(std::string_view bytes) noexcept;
  /// True when the bytes fed so far end on a code point boundary (and none was invalid).
  bool complete() const noexcept { return state_ == 0; }
  void reset() noexcept { state_ = 0; }

 private:
  std::uint32_t state_ = 0;
};

/// True when `bytes` is entirely valid UTF-8.
bool isValidUtf8(std::string_view bytes) noexcept;

}  // namespace ratchet::detail
