#include "stats.hpp"

#include <algorithm>
#include <bit>

namespace bench {
namespace {
constexpr unsigned kSubBits = 6;                   // 64 buckets per power of two
constexpr std::uint64_t kLinear = 2u << kSubBits;  // exact below 128
constexpr unsigned kMaxBit =
    40;  // values from 2^(kMaxBit + 1) ns (36 min) on share the last bucket
constexpr std::size_t kBuckets = kLinear + (kMaxBit - kSubBits) * (1u << kSubBits);
}  // namespace

Histogram::Histogram() : buckets_(kBuckets, 0) {}

std::size_t Histogram::index(std::uint64_t ns) noexcept {
  if (ns < kLinear) return static_cast<std::size_t>(ns);
  const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(ns));  // >= 7
  const unsigned shift = msb - kSubBits;
  const std::size_t sub = static_cast<std::size_t>((ns >> shift) & ((1u << kSubBits) - 1));
  return std::min(kLinear + (msb - kSubBits - 1) * (1u << kSubBits) + sub, kBuckets - 1);
}

std::uint64_t Histogram::value(std::size_t i) noexcept {
  if (i < kLinear) return i;
  const std::size_t k = i - kLinear;
  const unsigned msb = static_cast<unsigned>(k >> kSubBits) + kSubBits + 1;
  const std::uint64_t sub = k & ((1u << kSubBits) - 1);
  const unsigned shift = msb - kSubBits;
  // Middle of the bucket.
  return ((std::uint64_t{1} << kSubBits | sub) << shift) + (std::uint64_t{1} << shift) / 2;
}

void Histogram::record(std::uint64_t ns) noexcept {
  ++buckets_[index(ns)];
  ++count_;
  max_ = std::max(max_, ns);
}

void Histogram::merge(const Histogram& other) noexcept {
  for (std::size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

std::uint64_t Histogram::percentile(double fraction) const noexcept {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(fraction * static_cast<double>(count_ - 1)) + 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(value(i), max_);
  }
  return max_;
}

std::string_view failureName(Failure f) noexcept {
  static constexpr std::string_view names[kFailureKinds] = {
      "connect",     "handshake", "bad_frame", "wrong_payload",
      "early_close", "bad_close", "timeout",   "io_error"};
  return names[static_cast<std::size_t>(f)];
}

std::uint64_t ThreadStats::failureTotal() const noexcept {
  std::uint64_t n = 0;
  for (const auto& c : failures) n += c.get();
  return n;
}

}  // namespace bench
