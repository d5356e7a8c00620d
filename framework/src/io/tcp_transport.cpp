#include "io/tcp_transport.hpp"

#include "ratchet/log.hpp"

#include <boost/asio/post.hpp>

namespace ratchet::detail {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

std::atomic<std::uint64_t> nextConnectionId{1};

// Errors that are a normal end of a connection, not worth more than a debug line.
bool isBenign(const error_code& ec) noexcept {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::operation_aborted ||
         ec == asio::error::connection_aborted || ec == asio::error::timed_out ||
         ec == asio::error::not_connected;
}

}  // namespace

TcpTransport::TcpTransport(Worker& worker, tcp::socket socket, std::string address,
                           std::uint16_t port, const IoOptions& options)
    : Transport(nextConnectionId++, std::move(address), port),
      worker_(worker),
      lingerTimeout_(options.lingerTimeout),
      socket_(std::move(socket)),
      queue_(options.maxQueuedBytes) {}

void TcpTransport::start() {
  log::debug("conn {}: accepted from {}:{}", id(), remoteAddress(), remotePort());
  lastHeard_ = worker_.sweepTick;  // on the worker's thread: the sweep writes it there
  if (state_ == State::open) waitReadable();
}

bool TcpTransport::write(std::string_view a, std::string_view b, bool force) {
  std::lock_guard lock(mutex_);
  if (writeClosed_ || (!force && queue_.wouldOverflow(a.size() + b.size()))) return false;
  queue_.append(a, b);
  startWriteLocked();
  return true;
}

bool TcpTransport::write(std::shared_ptr<const std::string> bytes, bool force) {
  std::lock_guard lock(mutex_);
  if (writeClosed_ || (!force && queue_.wouldOverflow(bytes->size()))) return false;
  queue_.append(std::move(bytes));
  startWriteLocked();
  return true;
}

void TcpTransport::finish() {
  if (state_ == State::closed || finishRequested_.exchange(true)) return;
  dispatch([self = self()] {
    // The peer gets lingerTimeout to take what is queued and end its side; a peer that
    // stopped reading does not hold the connection (and its queue) any longer.
    self->setTimer(self->lingerTimeout_, [raw = self.get()] { raw->finalize(); });
    std::lock_guard lock(self->mutex_);
    self->startWriteLocked();  // ends the stream once the queue is sent
  });
}

void TcpTransport::abort() {
  if (state_ == State::closed) return;
  dispatch([self = self()] { self->finalize(); });
}

void TcpTransport::releaseBuffers() {
  std::lock_guard lock(mutex_);
  if (!queue_.empty()) return;
  queue_.releaseMemory();
  std::vector<asio::const_buffer>().swap(gather_);
}

void TcpTransport::setTimer(Duration delay, std::function<void()> fn) {
  if (state_ == State::closed) return;
  if (!timer_) timer_.emplace(worker_.context);
  timerFn_ = std::move(fn);
  timer_->expires_after(delay);
  timer_->async_wait([self = self(), generation = ++timerGeneration_](const error_code& ec) {
    if (ec || generation != self->timerGeneration_ || self->state_ == State::closed) return;
    auto fn = std::move(self->timerFn_);
    fn();
  });
}

void TcpTransport::cancelTimer() {
  ++timerGeneration_;
  timerFn_ = nullptr;
  if (timer_) timer_->cancel();
}

bool TcpTransport::onIoThread() const noexcept {
  return worker_.context.get_executor().running_in_this_thread();
}

void TcpTransport::post(std::function<void()> fn) {
  asio::post(worker_.context, std::move(fn));
}

void TcpTransport::finalize() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  cancelTimer();
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  {
    std::lock_guard lock(mutex_);
    writeClosed_ = true;
    queue_.clear();
  }
  auto self = this->self();
  log::debug("conn {}: closed", id());
  ended();
  if (worker_.onClosed) worker_.onClosed(self);
}

bool TcpTransport::sweep(std::uint32_t tick) {
  if (quietTold_ || lastHeard_ + 1 >= tick || state_ != State::open) return false;
  quietTold_ = true;  // once per quiet spell
  quiet();
  releaseBuffers();
  return true;
}

void TcpTransport::waitReadable() {
  socket_.async_wait(tcp::socket::wait_read,
                     [self = self()](const error_code& ec) { self->onReadable(ec); });
}

void TcpTransport::onReadable(error_code ec) {
  if (state_ == State::closed) return;
  if (ec) return fail(ec);
  lastHeard_ = worker_.sweepTick;
  quietTold_ = false;
  // Read while the kernel has data, a bounded number of times so other connections on this
  // thread get their turn.
  for (int round = 0; round < 4; ++round) {
    const std::size_t n =
        socket_.read_some(asio::buffer(worker_.readBuffer.get(), Worker::kReadBufferSize), ec);
    if (ec == asio::error::would_block) break;
    if (ec) return fail(ec);
    if (!finishRequested_) deliver(n);
    if (state_ == State::closed) return;
    if (n < Worker::kReadBufferSize) break;
  }
  waitReadable();
}

// Hands received bytes up the stack; writes made meanwhile are sent together after.
void TcpTransport::deliver(std::size_t n) {
  worker_.delivering = true;
  received(worker_.readBuffer.get(), n);
  worker_.delivering = false;
  // (An index: a write that fails posts its error, it never adds to the list.)
  for (std::size_t i = 0; i < worker_.flushList.size(); ++i) worker_.flushList[i]->flush();
  worker_.flushList.clear();
}

void TcpTransport::flush() {
  std::lock_guard lock(mutex_);
  flushListed_ = false;
  startWriteLocked();
}

void TcpTransport::fail(const error_code& ec) {
  if (isBenign(ec))
    log::debug("conn {}: {}", id(), ec.message());
  else
    log::warn("conn {}: {}", id(), ec.message());
  finalize();
}

// Sends what is queued, unless the socket is full (a wait for it is pending) or the read
// handler holds writes back to batch them. The sends are non-blocking and made right here:
// the kernel usually takes everything, so no asynchronous operation (and no allocation) is
// needed; what it cannot take waits until the socket is writable. Safe from any thread: off
// the I/O thread it posts.
void TcpTransport::startWriteLocked() {
  if (writing_ || writeClosed_) return;
  if (queue_.empty()) {
    if (finishRequested_) endWritesLocked();
    return;
  }
  if (!onIoThread()) {
    if (!flushPosted_) {
      flushPosted_ = true;
      post([self = self()] {
        std::lock_guard lock(self->mutex_);
        self->flushPosted_ = false;
        self->startWriteLocked();
      });
    }
    return;
  }
  if (worker_.delivering) {
    if (!flushListed_) {
      flushListed_ = true;
      worker_.flushList.push_back(self());
    }
    return;
  }
  error_code ec;
  while (!queue_.empty()) {
    const std::size_t gathered = queue_.gather(gather_);
    const std::size_t n = socket_.write_some(gather_, ec);
    if (ec) break;
    queue_.consume(n);
    if (n < gathered) break;  // the kernel took only part: it is full
  }
  if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
  if (ec) {
    writeClosed_ = true;  // nothing more can be sent; fail() needs the lock we hold
    post([self = self(), ec] { self->fail(ec); });
  } else if (!queue_.empty()) {
    writing_ = true;
    socket_.async_wait(tcp::socket::wait_write,
                       [self = self()](const error_code& e) { self->onWritable(e); });
  } else if (finishRequested_) {
    endWritesLocked();
  }
}

void TcpTransport::onWritable(const error_code& ec) {
  std::unique_lock lock(mutex_);
  writing_ = false;
  if (state_ == State::closed) return;
  if (ec) {
    lock.unlock();
    return fail(ec);
  }
  startWriteLocked();
}

// Everything is written: send FIN and give the peer a moment to send its own.
void TcpTransport::endWritesLocked() {
  if (writeClosed_) return;
  writeClosed_ = true;
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  // Reads go on (and are discarded) until the peer's FIN, or finish()'s linger timer ends
  // them. Closing at once could turn unread input into a RST that destroys our last bytes in
  // flight.
}

}  // namespace ratchet::detail
