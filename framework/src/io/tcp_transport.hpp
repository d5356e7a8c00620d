#pragma once
// The TCP transport (framework-internal): a non-blocking socket, its read loop and its
// write queue, on one I/O thread.

#include "io/transport.hpp"
#include "io/worker.hpp"
#include "io/write_queue.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <mutex>
#include <optional>

namespace ratchet::detail {

/// Refers to its worker without owning it: applications may keep a ConnectionPtr after
/// onClose (and after the server is gone). Until finalize() the worker is alive (IoServer's
/// run() does not return before every connection is finalized); after it, nothing here
/// touches the worker.
class TcpTransport final : public Transport {
 public:
  TcpTransport(Worker& worker, boost::asio::ip::tcp::socket socket, std::string address,
               std::uint16_t port, const IoOptions& options);

  /// Starts reading. The handler must be set (handOver) before.
  void start();

  bool write(std::string_view a, std::string_view b, bool force) override;
  bool write(std::shared_ptr<const std::string> bytes, bool force) override;
  void finish() override;
  void abort() override;
  void setTimer(Duration delay, std::function<void()> fn) override;
  void cancelTimer() override;
  bool onIoThread() const noexcept override;
  void post(std::function<void()> fn) override;

  std::size_t bufferedAmount() const noexcept override { return queue_.size(); }
  bool isOpen() const noexcept override {
    return state_.load(std::memory_order_relaxed) == State::open && !finishRequested_;
  }
  /// True when `n` more bytes would pass the queue limit.
  bool wouldOverflow(std::size_t n) const noexcept { return queue_.wouldOverflow(n); }

  /// Ends the connection now and reports the end exactly once. I/O thread only.
  void finalize();
  /// The worker's sweep: tells the handler when nothing came in since the last sweep, and
  /// says whether it did.
  bool sweep(std::uint32_t tick);

 private:
  enum class State : std::uint8_t { open, closed };

  std::shared_ptr<TcpTransport> self() {
    return std::static_pointer_cast<TcpTransport>(shared_from_this());
  }
  void waitReadable();
  void onReadable(boost::system::error_code ec);
  void deliver(std::size_t n);
  void flush();
  void fail(const boost::system::error_code& ec);
  void startWriteLocked();
  void onWritable(const boost::system::error_code& ec);
  void endWritesLocked();
  void releaseBuffers();  // the write queue's spare memory, when nothing is queued

  Worker& worker_;
  const Duration lingerTimeout_;
  boost::asio::ip::tcp::socket socket_;
  std::atomic<State> state_{State::open};  // written on the I/O thread, read anywhere
  std::atomic<bool> finishRequested_{false};
  std::uint32_t lastHeard_ = 0;  // the worker's sweep tick of the last read
  bool quietTold_ = false;       // the handler was told, and nothing came since

  std::mutex mutex_;  // guards the queue and the flags below
  WriteQueue queue_;
  std::vector<boost::asio::const_buffer> gather_;
  bool writing_ = false;      // waiting for the socket to become writable
  bool flushPosted_ = false;  // a write from another thread posted a flush
  bool flushListed_ = false;  // in worker_.flushList
  bool writeClosed_ = false;  // FIN sent, or the socket failed

  std::optional<boost::asio::steady_timer> timer_;
  std::function<void()> timerFn_;
  std::uint64_t timerGeneration_ = 0;
};

}  // namespace ratchet::detail
