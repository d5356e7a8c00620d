#pragma once
// The bytes of benchmark messages, so that every received byte can be checked.
//
// A payload of S bytes holds fields of 16 lowercase hex digits, each a 64-bit value: the
// message's sequence number, and for broadcast the send timestamp. Everything else is fixed,
// in one of two kinds:
//  - filler (the default): the fields first (the sequence number's low digits only when
//    S < 16), then 'a'..'z' repeated;
//  - json: compressible JSON-like text, as a ticker feed sends, for permessage-deflate:
//    {"seq":"<field>","ts":"<field>","items":[{"sym":"MSFT","px":412.37,...},...]} padded
//    with spaces to S bytes (S >= 64); keys repeat, values vary (a fixed pseudo-random
//    sequence, so every run and every message has the same text around the fields).
// Everything is ASCII, so the same bytes are valid text and binary messages.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bench {

enum class PayloadKind : std::uint8_t { filler, json };

/// "filler" or "json"; false for anything else.
bool parsePayloadKind(std::string_view name, PayloadKind& kind) noexcept;

class Payload {
 public:
  /// `fields` hex fields of 16 digits (1: seq; 2: seq and timestamp). json needs size >= 64.
  Payload(std::size_t size, unsigned fields, PayloadKind kind = PayloadKind::filler);

  std::size_t size() const noexcept { return size_; }
  /// Bytes of the head: the fields and the fixed text between them, a multiple of 4 (so the
  /// mask phase of what follows is 0) unless the payload is shorter. The rest is filler.
  std::size_t fieldBytes() const noexcept { return fieldBytes_; }
  /// Where field `index` starts.
  std::size_t fieldAt(unsigned index) const noexcept { return fieldAt_[index]; }
  /// The whole payload with every field zero; the filler is the part after fieldBytes().
  const std::string& tmpl() const noexcept { return tmpl_; }

  /// Writes field `index` (0 or 1) holding `value` into a payload buffer at `out` (the
  /// payload's first byte); the fixed bytes of the head must be there already (tmpl()).
  void writeField(char* out, unsigned index, std::uint64_t value) const noexcept;
  /// Checks `n` received bytes at payload `offset` against the template and field 0 == seq.
  /// Field 1 is not compared; read it with readField once the message is complete.
  bool check(const char* p, std::size_t n, std::size_t offset, std::uint64_t seq) const noexcept;
  /// Parses a field of 16 hex digits; false if it is not hex.
  static bool readField(const char* field16, std::uint64_t& value) noexcept;

 private:
  bool inField(std::size_t pos, unsigned& index) const noexcept;

  std::size_t size_;
  unsigned fields_;
  std::size_t fieldAt_[2] = {0, 16};
  std::size_t fieldLen_[2] = {0, 0};
  std::size_t fieldBytes_ = 0;
  std::string tmpl_;
};

}  // namespace bench
