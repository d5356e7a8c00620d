// WriteQueue, sans I/O: what a transport's vectored writes would send, and what it keeps.
#include "io/write_queue.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using ratchet::detail::WriteQueue;

namespace {

std::string str(const boost::asio::const_buffer& b) {
  return std::string(static_cast<const char*>(b.data()), b.size());
}

// The next send's buffers, as strings.
std::vector<std::string> next(const WriteQueue& q, std::size_t* total = nullptr) {
  std::vector<boost::asio::const_buffer> buffers;
  const auto n = q.gather(buffers);
  if (total) *total = n;
  std::vector<std::string> out;
  for (const auto& b : buffers) out.push_back(str(b));
  return out;
}

// Everything queued, by sending it all, `chunk` bytes at a time.
std::string drain(WriteQueue& q, std::size_t chunk) {
  std::string out;
  std::vector<boost::asio::const_buffer> buffers;
  for (int guard = 0; guard < 100'000 && !q.empty(); ++guard) {
    q.gather(buffers);
    std::size_t left = chunk;
    for (const auto& b : buffers) {
      const auto n = std::min(left, b.size());
      out.append(static_cast<const char*>(b.data()), n);
      left -= n;
      if (left == 0) break;
    }
    q.consume(chunk - left);
  }
  return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("write queue: small writes coalesce into one segment; a and b are concatenated") {
  WriteQueue q(1 << 20);
  CHECK(q.empty());
  CHECK(next(q).empty());
  q.append("hello", ", ");
  q.append("world");
  q.append("");  // nothing
  CHECK(q.size() == 12);
  std::size_t total = 0;
  CHECK(next(q, &total) == Strings{"hello, world"});
  CHECK(total == 12);
}

TEST_CASE("write queue: a shared buffer is a segment of its own and is not copied") {
  WriteQueue q(1 << 20);
  auto shared = std::make_shared<const std::string>("broadcast");
  q.append("head");
  q.append(shared);
  q.append("tail");
  q.append(std::make_shared<const std::string>());  // empty: nothing
  CHECK(q.size() == 17);
  std::vector<boost::asio::const_buffer> buffers;
  CHECK(q.gather(buffers) == 17);
  REQUIRE(buffers.size() == 3);
  CHECK(str(buffers[0]) == "head");
  CHECK(buffers[1].data() == shared->data());  // the very bytes, no copy
  CHECK(buffers[1].size() == shared->size());
  CHECK(str(buffers[2]) == "tail");  // not appended to the shared segment
  CHECK(shared.use_count() == 2);
  q.consume(4 + 9);
  CHECK(shared.use_count() == 1);  // released once sent
  CHECK(next(q) == Strings{"tail"});
}

TEST_CASE("write queue: partial sends across segment boundaries") {
  WriteQueue q(1 << 20);
  q.append("aaa");
  q.append(std::make_shared<const std::string>("bbbb"));
  q.append(std::make_shared<const std::string>("cc"));
  q.append("dddd");
  CHECK(q.size() == 13);
  q.consume(2);
  CHECK(q.size() == 11);
  CHECK(next(q) == Strings{"a", "bbbb", "cc", "dddd"});
  q.consume(3);  // the last "a" and "bb"
  CHECK(q.size() == 8);
  CHECK(next(q) == Strings{"bb", "cc", "dddd"});
  q.consume(4);  // exactly up to a boundary
  CHECK(next(q) == Strings{"dddd"});
  q.consume(1);
  CHECK(next(q) == Strings{"ddd"});
  q.append("ee");  // joins the partly sent segment
  CHECK(next(q) == Strings{"dddee"});
  q.consume(5);
  CHECK(q.empty());
  CHECK(q.size() == 0);
  CHECK(next(q).empty());
}

TEST_CASE("write queue: any chunking sends the same bytes, in order") {
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u, 100'000u}) {
    CAPTURE(chunk);
    WriteQueue q(1 << 20);
    std::string expected;
    for (int i = 0; i < 20; ++i) {
      const std::string piece(static_cast<std::size_t>(i % 5 + 1), static_cast<char>('a' + i));
      if (i % 3 == 0)
        q.append(std::make_shared<const std::string>(piece));
      else
        q.append(piece, "|");
      expected += piece + (i % 3 == 0 ? "" : "|");
    }
    CHECK(q.size() == expected.size());
    CHECK(drain(q, chunk) == expected);
    CHECK(q.size() == 0);
  }
}

TEST_CASE("write queue: a segment takes up to kCoalesceLimit bytes") {
  WriteQueue q(std::size_t(1) << 30);
  const std::string half(WriteQueue::kCoalesceLimit / 2, 'h');
  q.append(half);
  q.append(half);  // exactly the limit: still one segment
  CHECK(next(q).size() == 1);
  q.append("x");  // one more: a new segment
  const auto buffers = next(q);
  REQUIRE(buffers.size() == 2);
  CHECK(buffers[0].size() == WriteQueue::kCoalesceLimit);
  CHECK(buffers[1] == "x");
  // A write larger than the limit is one segment of its own.
  WriteQueue big(std::size_t(1) << 30);
  big.append("a");
  big.append(std::string(WriteQueue::kCoalesceLimit * 2, 'b'));
  CHECK(next(big).size() == 2);
}

TEST_CASE("write queue: wouldOverflow applies the limit to what is already queued") {
  WriteQueue q(10);
  CHECK_FALSE(q.wouldOverflow(0));
  CHECK_FALSE(q.wouldOverflow(1000));  // one big message on an empty queue passes
  q.append(std::string(1000, 'x'));
  CHECK(q.wouldOverflow(1));
  q.consume(1000);
  CHECK_FALSE(q.wouldOverflow(10));
  q.append("12345");
  CHECK_FALSE(q.wouldOverflow(5));  // 10: at the limit
  CHECK(q.wouldOverflow(6));
  q.consume(3);  // what is sent no longer counts
  CHECK_FALSE(q.wouldOverflow(8));
  CHECK(q.wouldOverflow(9));
}

TEST_CASE("write queue: gather stops at kMaxGather buffers") {
  WriteQueue q(1 << 20);
  const std::size_t segments = WriteQueue::kMaxGather + 6;
  for (std::size_t i = 0; i < segments; ++i)
    q.append(std::make_shared<const std::string>(std::string(i + 1, 's')));
  std::vector<boost::asio::const_buffer> buffers;
  const auto total = q.gather(buffers);
  CHECK(buffers.size() == WriteQueue::kMaxGather);
  const std::size_t k = WriteQueue::kMaxGather;
  CHECK(total == k * (k + 1) / 2);
  CHECK(q.size() == segments * (segments + 1) / 2);
  q.consume(total);
  CHECK(q.gather(buffers) == q.size());
  CHECK(buffers.size() == 6);
  CHECK(buffers[0].size() == k + 1);
}

TEST_CASE("write queue: a sent segment's buffer serves the next write") {
  WriteQueue q(1 << 20);
  const std::string payload(1000, 'p');
  q.append(payload);
  std::vector<boost::asio::const_buffer> buffers;
  q.gather(buffers);
  const void* first = buffers.at(0).data();
  q.consume(payload.size());
  CHECK(q.empty());
  q.append(std::string(500, 'q'));
  q.gather(buffers);
  CHECK(buffers.at(0).data() == first);
  CHECK(str(buffers[0]) == std::string(500, 'q'));
}

TEST_CASE("write queue: releaseMemory keeps everything while bytes are queued") {
  WriteQueue q(1 << 20);
  q.append(std::string(1000, 'a'));
  std::vector<boost::asio::const_buffer> buffers;
  q.gather(buffers);
  const void* owned = buffers.at(0).data();
  q.append(std::make_shared<const std::string>("shared"));
  q.consume(1000);    // the first segment's buffer is kept for reuse
  q.releaseMemory();  // not empty: nothing is released
  CHECK(q.size() == 6);
  CHECK(next(q) == Strings{"shared"});
  q.append(std::string(200, 'b'));  // after a shared segment: a segment from the free list
  q.gather(buffers);
  REQUIRE(buffers.size() == 2);
  CHECK(buffers[1].data() == owned);
  CHECK(str(buffers[1]) == std::string(200, 'b'));
}

TEST_CASE("write queue: releaseMemory on an empty queue, then it works as new") {
  WriteQueue q(1 << 20);
  q.append(std::string(1000, 'a'));
  q.consume(1000);
  q.releaseMemory();
  CHECK(q.empty());
  q.append("again");
  CHECK(next(q) == Strings{"again"});
  CHECK(q.size() == 5);
}

TEST_CASE("write queue: clear drops everything, including a partly sent segment") {
  WriteQueue q(1 << 20);
  q.append("abcdef");
  q.append(std::make_shared<const std::string>("gh"));
  q.consume(2);
  q.clear();
  CHECK(q.empty());
  CHECK(q.size() == 0);
  CHECK(next(q).empty());
  q.append("xyz");  // no stale offset
  CHECK(next(q) == Strings{"xyz"});
  q.consume(100);  // more than queued: clamps
  CHECK(q.size() == 0);
  CHECK(q.empty());
}
