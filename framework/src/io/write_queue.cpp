#include "io/write_queue.hpp"

#include <algorithm>

namespace ratchet::detail {

void WriteQueue::pushSegment() {
  if (free_.empty())
    segments_.emplace_back();
  else
    segments_.splice(segments_.end(), free_, free_.begin());
}

void WriteQueue::append(std::string_view a, std::string_view b) {
  const std::size_t n = a.size() + b.size();
  if (n == 0) return;
  // Append to the last segment unless it is shared or full.
  if (segments_.empty() || segments_.back().shared ||
      segments_.back().owned.size() + n > kCoalesceLimit)
    pushSegment();
  segments_.back().owned.append(a).append(b);
  size_.fetch_add(n, std::memory_order_relaxed);
}

void WriteQueue::append(std::shared_ptr<const std::string> bytes) {
  if (bytes->empty()) return;
  size_.fetch_add(bytes->size(), std::memory_order_relaxed);
  pushSegment();
  segments_.back().shared = std::move(bytes);
}

std::size_t WriteQueue::gather(std::vector<boost::asio::const_buffer>& out) const {
  out.clear();
  std::size_t total = 0, skip = frontOffset_;
  for (const auto& s : segments_) {
    if (out.size() == kMaxGather) break;
    out.push_back(boost::asio::buffer(s.bytes()) + skip);
    total += out.back().size();
    skip = 0;
  }
  return total;
}

void WriteQueue::consume(std::size_t n) {
  size_.fetch_sub(std::min(size(), n), std::memory_order_relaxed);
  while (!segments_.empty()) {
    auto& front = segments_.front();
    const std::size_t left = front.bytes().size() - frontOffset_;
    if (n < left) {
      frontOffset_ += n;
      return;
    }
    n -= left;
    frontOffset_ = 0;
    if (free_.size() == kFreeSegments || front.owned.capacity() > kReuseLimit) {
      segments_.pop_front();
      continue;
    }
    front.owned.clear();  // its capacity serves the next write
    front.shared.reset();
    free_.splice(free_.end(), segments_, segments_.begin());
  }
}

void WriteQueue::clear() noexcept {
  segments_.clear();
  frontOffset_ = 0;
  size_.store(0, std::memory_order_relaxed);
}

void WriteQueue::releaseMemory() noexcept {
  if (segments_.empty()) free_.clear();
}

}  // namespace ratchet::detail
