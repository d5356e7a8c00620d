#pragma once
// The bytes of benchmark messages, so that every received byte can be checked.
//
// A payload of S bytes starts with fields of 16 lowercase hex digits, each a 64-bit value:
// the message's sequence number (its low digits only when S < 16), and for broadcast the send
// timestamp; then a fixed filler 'a'..'z' repeated.
// Everything is ASCII, so the same bytes are valid text and binary messages.

#include <cstddef>
#include <cstdint>
#include <string>

namespace bench {

class Payload {
 public:
  /// `fields` hex fields of 16 digits at the start (1: seq; 2: seq and timestamp).
  Payload(std::size_t size, unsigned fields);

  std::size_t size() const noexcept { return size_; }
  /// Bytes covered by the hex fields (the rest is the filler).
  std::size_t fieldBytes() const noexcept { return fieldBytes_; }
  /// The whole payload with every field zero; the filler is the part after fieldBytes().
  const std::string& tmpl() const noexcept { return tmpl_; }

  /// Writes field `index` (0 or 1) holding `value` into a payload buffer at `out`.
  void writeField(char* out, unsigned index, std::uint64_t value) const noexcept;
  /// Checks `n` received bytes at payload `offset` against the filler and field 0 == seq.
  /// Field 1 is not compared; read it with readField once the message is complete.
  bool check(const char* p, std::size_t n, std::size_t offset, std::uint64_t seq) const noexcept;
  /// Parses field `index` from a complete field buffer; false if it is not hex.
  static bool readField(const char* field16, std::uint64_t& value) noexcept;

 private:
  std::size_t size_;
  std::size_t fieldBytes_;
  std::string tmpl_;
};

}  // namespace bench
