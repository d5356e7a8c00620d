#include "payload.hpp"

#include <algorithm>
#include <cstring>

namespace bench {
namespace {
constexpr char kHex[] = "0123456789abcdef";
constexpr std::size_t kField = 16;
}  // namespace

Payload::Payload(std::size_t size, unsigned fields)
    : size_(size), fieldBytes_(std::min(size, kField * fields)), tmpl_(size, '0') {
  for (std::size_t i = fieldBytes_; i < size; ++i) tmpl_[i] = static_cast<char>('a' + i % 26);
}

void Payload::writeField(char* out, unsigned index, std::uint64_t value) const noexcept {
  const std::size_t begin = index * kField;
  const std::size_t end = std::min(fieldBytes_, begin + kField);
  // Most significant digit first; a field cut short by the payload size keeps the low digits.
  for (std::size_t i = begin; i < end; ++i) out[i] = kHex[(value >> (4 * (end - 1 - i))) & 0xF];
}

bool Payload::check(const char* p, std::size_t n, std::size_t offset,
                    std::uint64_t seq) const noexcept {
  if (offset + n > size_) return false;
  const std::size_t seqEnd = std::min(fieldBytes_, kField);
  std::size_t i = 0;
  for (; i < n && offset + i < seqEnd; ++i)  // field 0: the sequence number
    if (p[i] != kHex[(seq >> (4 * (seqEnd - 1 - (offset + i)))) & 0xF]) return false;
  const std::size_t fillerFrom = std::max(fieldBytes_, offset + i) - offset;
  if (fillerFrom >= n) return true;
  return std::memcmp(p + fillerFrom, tmpl_.data() + offset + fillerFrom, n - fillerFrom) == 0;
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
