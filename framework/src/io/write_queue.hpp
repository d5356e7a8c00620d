#pragma once
// The outgoing bytes of one connection (framework-internal, sans I/O): segments to send in
// order, gathered into one vectored write, with the memory of sent segments kept for reuse.

#include <boost/asio/buffer.hpp>

#include <atomic>
#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ratchet::detail {

/// Not thread-safe: the transport guards it. size() alone may be read from any thread.
///
/// Small writes are appended to the last segment, so a burst of messages costs one send; a
/// shared buffer (a broadcast frame) becomes a segment of its own, not copied. Sent segments
/// move to a free list with their buffers (up to kReuseLimit bytes each), so that steady
/// traffic allocates nothing; releaseMemory() gives them back when the connection is quiet.
class WriteQueue {
 public:
  static constexpr std::size_t kCoalesceLimit = 64 * 1024;
  static constexpr std::size_t kReuseLimit = 32 * 1024;
  static constexpr std::size_t kFreeSegments = 2;
  static constexpr std::size_t kMaxGather = 64;

  /// The limit holds for what is already queued: one message larger than it still goes
  /// out on an empty queue (a 16 MiB WebSocket message, say).
  explicit WriteQueue(std::size_t limit) noexcept : limit_(limit) {}

  bool wouldOverflow(std::size_t n) const noexcept {
    const auto queued = size();
    return queued != 0 && queued + n > limit_;
  }
  void append(std::string_view a, std::string_view b = {});
  void append(std::shared_ptr<const std::string> bytes);

  bool empty() const noexcept { return segments_.empty(); }
  /// Bytes queued and not yet sent. Any thread.
  std::size_t size() const noexcept { return size_.load(std::memory_order_relaxed); }

  /// The buffers of the next send (at most kMaxGather), valid until the queue changes;
  /// returns their total size.
  std::size_t gather(std::vector<boost::asio::const_buffer>& out) const;
  /// Drops `n` sent bytes from the front.
  void consume(std::size_t n);
  /// Drops everything queued (the connection closed).
  void clear() noexcept;
  /// Frees the segments kept for reuse, when nothing is queued.
  void releaseMemory() noexcept;

 private:
  struct Segment {
    std::string owned;
    std::shared_ptr<const std::string> shared;
    std::string_view bytes() const noexcept { return shared ? std::string_view(*shared) : owned; }
  };
  void pushSegment();

  std::size_t limit_;
  // A list: unlike a std::deque it allocates nothing while empty, as most connections are,
  // and nodes move between the lists with their buffers.
  std::list<Segment> segments_;
  std::list<Segment> free_;
  std::size_t frontOffset_ = 0;  // bytes of the first segment already sent
  std::atomic<std::size_t> size_{0};
};

}  // namespace ratchet::detail
