#pragma once
// Counters and latency histograms. Each client thread owns its own; the main thread reads
// the counters for progress lines and merges everything at the end.

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>
#include <vector>

namespace bench {

/// A counter with a single writer thread and any number of readers: no locked instruction.
class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

/// Log-linear histogram of nanoseconds: exact below 128 ns, then 64 buckets per power of two
/// (under 1.6% error) up to 2^40 ns; no allocation after construction.
class Histogram {
 public:
  Histogram();
  void record(std::uint64_t ns) noexcept;
  void merge(const Histogram& other) noexcept;
  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t max() const noexcept { return max_; }
  /// The value below which `fraction` (0..1) of the samples lie; 0 without samples.
  std::uint64_t percentile(double fraction) const noexcept;

 private:
  static std::size_t index(std::uint64_t ns) noexcept;
  static std::uint64_t value(std::size_t index) noexcept;
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

/// Kinds of failure the client counts; any of them makes the exit status non-zero.
enum class Failure : unsigned {
  connect,        // TCP connect failed
  handshake,      // the upgrade response was not a valid 101
  bad_frame,      // protocol violation in the server's frames
  wrong_payload,  // a message's type, size or bytes differ from what was expected
  early_close,    // the server closed (TCP or WebSocket) while it should not have
  bad_close,      // the close handshake went wrong (code, or no close frame)
  timeout,        // a step took longer than its limit, or messages never arrived
  io_error,       // a read or write failed
  count_
};
inline constexpr std::size_t kFailureKinds = static_cast<std::size_t>(Failure::count_);
std::string_view failureName(Failure f) noexcept;

/// What one client thread counts. Counters may be read from other threads at any time;
/// histograms are read after the threads stopped.
struct ThreadStats {
  Counter messages;    // messages verified (echo: round trips; broadcast: deliveries)
  Counter bytes;       // payload bytes verified
  Counter handshakes;  // complete connect + upgrade + close handshakes
  Counter sent;        // messages sent
  Counter abandoned;   // messages sent on connections that failed before their answer came
  Counter started;     // connection attempts
  Counter connected;   // attempts that completed the upgrade (or TCP connect, raw)
  Counter finished;    // attempts that ended, cleanly or not
  std::array<Counter, kFailureKinds> failures;
  Histogram latency;  // measured-phase samples only

  std::uint64_t failureTotal() const noexcept;
};

}  // namespace bench
