#pragma once
// One I/O thread of an IoServer (framework-internal): its event loop, the receive buffers
// every connection on it reads into, and the connections it owns.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

namespace ratchet::detail {

class TcpTransport;

struct Worker {
  static constexpr std::size_t kReadBufferSize = 64 * 1024;

  boost::asio::io_context context{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work{
      context.get_executor()};
  std::unique_ptr<char[]> readBuffer{new char[kReadBufferSize]};
  // Decrypted bytes, for TLS connections; allocated with the first.
  std::unique_ptr<char[]> plainBuffer;
  std::unordered_set<std::shared_ptr<TcpTransport>> connections;
  // Told when a connection of this worker has closed (and left `connections`).
  std::function<void(const std::shared_ptr<TcpTransport>&)> onClosed;

  // While a read handler runs, writes on this thread only queue up; the connections written
  // to are listed here and flushed when it returns. An echo goes out in one send, and a
  // broadcast of several messages costs each recipient one send, not one per message.
  bool delivering = false;
  std::vector<std::shared_ptr<TcpTransport>> flushList;

  // Every sweep period, connections that received nothing during the whole period are told
  // they are quiet and give back buffers kept for speed.
  std::optional<boost::asio::steady_timer> sweepTimer;
  std::uint32_t sweepTick = 0;

  std::optional<boost::asio::steady_timer> shutdownDeadline;
  bool stopping = false;
  bool drained = false;  // stopping and no connection left

  char* decryptBuffer() {
    if (!plainBuffer) plainBuffer.reset(new char[kReadBufferSize]);
    return plainBuffer.get();
  }
};

}  // namespace ratchet::detail
