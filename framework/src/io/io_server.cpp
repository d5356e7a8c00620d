#include "ratchet/io_server.hpp"

#include "ratchet/log.hpp"

#include "core/dispatcher.hpp"
#include "io/transport.hpp"

#include <boost/asio.hpp>

#include <atomic>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace ratchet {

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

class TcpConnection;

// One I/O thread: its event loop, the receive buffer every connection on it reads into,
// and the connections it owns.
struct Worker {
  static constexpr std::size_t kReadBufferSize = 64 * 1024;

  asio::io_context context{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{
      context.get_executor()};
  std::unique_ptr<char[]> readBuffer{new char[kReadBufferSize]};
  std::unordered_set<std::shared_ptr<TcpConnection>> connections;
  // While a read handler runs, writes on this thread only queue up; the connections written
  // to are listed here and flushed when it returns. An echo goes out in one send, and a
  // broadcast of several messages costs each recipient one send, not one per message.
  bool delivering = false;
  std::vector<std::shared_ptr<TcpConnection>> flushList;
  std::optional<asio::steady_timer> shutdownDeadline;
  bool stopping = false;
  bool drained = false;  // stopping and no connection left
};

struct IoServer::Impl : std::enable_shared_from_this<IoServer::Impl> {
  Impl(std::shared_ptr<MessageComponentInterface> component, IoOptions opts)
      : options(opts), dispatcher(std::move(component)) {
    const unsigned n =
        options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) workers.push_back(std::make_unique<Worker>());
  }

  void accept();
  void onAccepted(Worker& worker, tcp::socket socket);
  void beginStop();
  void stopWorker(Worker& worker);
  void abortWorker(Worker& worker);
  void removed(Worker& worker, const std::shared_ptr<TcpConnection>& conn);
  void drained(Worker& worker);
  bool admit(const std::string& address);  // counts a connection from address, if allowed
  void release(const std::string& address);

  IoOptions options;
  detail::Dispatcher<MessageComponentInterface> dispatcher;
  std::vector<std::unique_ptr<Worker>> workers;
  std::optional<tcp::acceptor> acceptor;
  tcp::endpoint acceptedPeer;  // filled by accept() itself: no getpeername() per connection
  std::optional<asio::signal_set> signals;
  std::optional<asio::steady_timer> acceptRetry;
  std::atomic<std::size_t> connectionCount{0};
  std::atomic<bool> stopRequested{false};
  std::atomic<std::size_t> workersLeft{0};  // workers still closing connections at a stop
  std::mutex perAddressMutex;               // connections per remote address, when limited
  std::unordered_map<std::string, std::size_t> perAddress;
  std::size_t nextWorker = 0;
  std::uint16_t port = 0;
};

// A TCP connection: the transport every protocol layer writes through, and, under a bare
// IoServer, the connection a raw-TCP component sees.
//
// It refers to its server and worker without owning them: applications may keep a
// ConnectionPtr after onClose (and after the server is gone), and ownership would make a
// cycle through components that do. Until finalize() the server is alive (run() does not
// return before every connection is finalized); after it, nothing here touches the server.
class TcpConnection final : public detail::Transport {
 public:
  TcpConnection(IoServer::Impl& server, Worker& worker, tcp::socket socket, std::string address,
                std::uint16_t port)
      : Transport(nextConnectionId++, std::move(address), port),
        server_(server),
        worker_(worker),
        maxQueuedBytes_(server.options.maxQueuedBytes),
        socket_(std::move(socket)) {}

  void start() {
    log::debug("conn {}: accepted from {}:{}", id(), remoteAddress(), remotePort());
    server_.dispatcher.open(shared_from_this());
    if (state_ == State::open) waitReadable();
  }

  // ---- Connection (as a raw TCP connection) ----
  void send(const Message& message) override {
    if (!write(message.data(), {}, false) && isOpen()) {
      log::warn("conn {}: closed, outgoing queue over {} bytes", id(),
                server_.options.maxQueuedBytes);
      abort();
    }
  }
  void close(std::uint16_t, std::string_view) override { finish(); }
  std::size_t bufferedAmount() const noexcept override {
    return queued_.load(std::memory_order_relaxed);
  }
  bool isOpen() const noexcept override { return state_ == State::open && !finishRequested_; }

  // ---- Transport ----
  bool write(std::string_view a, std::string_view b, bool force) override {
    const std::size_t n = a.size() + b.size();
    std::lock_guard lock(mutex_);
    if (writeClosed_) return false;
    if (!force && overLimit(n)) return false;
    // Append to the last segment unless it is shared or full. (No write holds pointers into
    // the queue between calls: each attempt gathers the buffers afresh.)
    if (segments_.empty() || segments_.back().shared ||
        segments_.back().owned.size() + n > kCoalesceLimit)
      pushSegment();
    auto& out = segments_.back().owned;
    out.append(a).append(b);
    queued_ += n;
    startWriteLocked();
    return true;
  }

  bool write(std::shared_ptr<const std::string> bytes, bool force) override {
    std::lock_guard lock(mutex_);
    if (writeClosed_) return false;
    if (!force && overLimit(bytes->size())) return false;
    queued_ += bytes->size();
    pushSegment();
    segments_.back().shared = std::move(bytes);
    startWriteLocked();
    return true;
  }

  void finish() override {
    if (state_ == State::closed || finishRequested_.exchange(true)) return;
    dispatch([self = self()] {
      // The peer gets lingerTimeout to take what is queued and end its side; a peer that
      // stopped reading does not hold the connection (and its queue) any longer.
      self->setTimer(self->server_.options.lingerTimeout, [raw = self.get()] { raw->finalize(); });
      std::lock_guard lock(self->mutex_);
      self->startWriteLocked();  // ends the stream once the queue is sent
    });
  }

  void releaseBuffers() override {
    std::lock_guard lock(mutex_);
    if (!segments_.empty()) return;
    free_.clear();
    std::vector<asio::const_buffer>().swap(gather_);
  }

  void abort() override {
    if (state_ == State::closed) return;
    dispatch([self = self()] { self->finalize(); });
  }

  void setTimer(Duration delay, std::function<void()> fn) override {
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

  void cancelTimer() override {
    ++timerGeneration_;
    timerFn_ = nullptr;
    if (timer_) timer_->cancel();
  }

  bool onIoThread() const noexcept override {
    return worker_.context.get_executor().running_in_this_thread();
  }
  void post(std::function<void()> fn) override { asio::post(worker_.context, std::move(fn)); }

  // Graceful server stop: ask the application's connection to close (WebSocket: 1001).
  void goingAway() {
    if (auto upper = this->upper(); upper.get() != this)
      upper->close(close_code::going_away, "server shutting down");
    else
      finish();
  }

  // Ends the connection now and reports onClose exactly once. I/O thread only.
  void finalize() {
    if (state_ == State::closed) return;
    state_ = State::closed;
    cancelTimer();
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    {
      std::lock_guard lock(mutex_);
      writeClosed_ = true;
      segments_.clear();
      queued_ = 0;
    }
    auto self = this->self();
    log::debug("conn {}: closed", id());
    server_.dispatcher.close(self);
    clearStates();  // layer states may reference this connection: break the cycle
    server_.removed(worker_, self);
  }

 private:
  enum class State : std::uint8_t { open, closed };
  static constexpr std::size_t kCoalesceLimit = 64 * 1024;
  // Sent segments kept for reuse with their buffers (up to kReuseLimit bytes), so that
  // messages up to about that size cost no allocation; releaseBuffers() gives them back
  // when the connection goes quiet.
  static constexpr std::size_t kReuseLimit = 32 * 1024;
  static constexpr std::size_t kFreeSegments = 2;
  static constexpr std::size_t kMaxGather = 64;

  // The queue limit holds for what is already queued: one message larger than the limit
  // (up to WsOptions::maxMessageBytes, say) still goes out on an empty queue.
  bool overLimit(std::size_t n) const noexcept {
    return queued_ != 0 && queued_ + n > maxQueuedBytes_;
  }

  struct Segment {
    std::string owned;
    std::shared_ptr<const std::string> shared;
    std::string_view bytes() const noexcept { return shared ? std::string_view(*shared) : owned; }
  };

  void pushSegment() {
    if (free_.empty())
      segments_.emplace_back();
    else
      segments_.splice(segments_.end(), free_, free_.begin());
  }

  std::shared_ptr<TcpConnection> self() {
    return std::static_pointer_cast<TcpConnection>(shared_from_this());
  }

  void waitReadable() {
    socket_.async_wait(tcp::socket::wait_read,
                       [self = self()](const error_code& ec) { self->onReadable(ec); });
  }

  void onReadable(error_code ec) {
    if (state_ == State::closed) return;
    if (ec) return fail(ec);
    // Read while the kernel has data, a bounded number of times so other connections on
    // this thread get their turn.
    for (int round = 0; round < 4; ++round) {
      const std::size_t n =
          socket_.read_some(asio::buffer(worker_.readBuffer.get(), Worker::kReadBufferSize), ec);
      if (ec == asio::error::would_block) break;
      if (ec) return fail(ec);
      if (!finishRequested_) deliver(std::string_view(worker_.readBuffer.get(), n));
      if (state_ == State::closed) return;
      if (n < Worker::kReadBufferSize) break;
    }
    waitReadable();
  }

  // Hands received bytes up the stack; writes made meanwhile are sent together after.
  void deliver(std::string_view bytes) {
    worker_.delivering = true;
    server_.dispatcher.message(shared_from_this(), Message::binary(bytes));
    worker_.delivering = false;
    // (An index: a write that fails posts its error, it never adds to the list.)
    for (std::size_t i = 0; i < worker_.flushList.size(); ++i) worker_.flushList[i]->flush();
    worker_.flushList.clear();
  }

  void flush() {
    std::lock_guard lock(mutex_);
    flushListed_ = false;
    startWriteLocked();
  }

  void fail(const error_code& ec) {
    if (isBenign(ec))
      log::debug("conn {}: {}", id(), ec.message());
    else
      log::warn("conn {}: {}", id(), ec.message());
    finalize();
  }

  // Sends what is queued, unless the socket is full (a wait for it is pending) or the read
  // handler holds writes back to batch them. The sends are non-blocking and made right here:
  // the kernel usually takes everything, so no asynchronous operation (and no allocation) is
  // needed; what it cannot take waits until the socket is writable. Safe from any thread:
  // off the I/O thread it posts.
  void startWriteLocked() {
    if (writing_ || writeClosed_) return;
    if (segments_.empty()) {
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
    while (!segments_.empty()) {
      gather_.clear();
      std::size_t gathered = 0, skip = frontOffset_;
      for (auto& s : segments_) {
        if (gather_.size() == kMaxGather) break;
        gather_.push_back(asio::buffer(s.bytes()) + skip);
        gathered += gather_.back().size();
        skip = 0;
      }
      const std::size_t n = socket_.write_some(gather_, ec);
      if (ec) break;
      consumeLocked(n);
      if (n < gathered) break;  // the kernel took only part: it is full
    }
    if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
    if (ec) {
      writeClosed_ = true;  // nothing more can be sent; fail() needs the lock we hold
      post([self = self(), ec] { self->fail(ec); });
    } else if (!segments_.empty()) {
      writing_ = true;
      socket_.async_wait(tcp::socket::wait_write,
                         [self = self()](const error_code& e) { self->onWritable(e); });
    } else if (finishRequested_) {
      endWritesLocked();
    }
  }

  // Drops `n` sent bytes from the front of the queue (and the empty segments after them).
  void consumeLocked(std::size_t n) {
    queued_ -= std::min<std::size_t>(queued_, n);
    while (!segments_.empty()) {
      auto& front = segments_.front();
      const std::size_t left = front.bytes().size() - frontOffset_;
      if (n < left) {
        frontOffset_ += n;
        break;
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

  void onWritable(const error_code& ec) {
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
  void endWritesLocked() {
    if (writeClosed_) return;
    writeClosed_ = true;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    // Reads go on (and are discarded) until the peer's FIN, or finish()'s linger timer ends
    // them. Closing at once could turn unread input into a RST that destroys our last bytes
    // in flight.
  }

  IoServer::Impl& server_;
  Worker& worker_;
  const std::size_t maxQueuedBytes_;
  tcp::socket socket_;
  std::atomic<State> state_{State::open};  // written on the I/O thread, read anywhere
  std::atomic<bool> finishRequested_{false};

  std::mutex mutex_;  // guards the write queue below
  // A list: unlike a std::deque it allocates nothing while empty, as most connections are,
  // and sent nodes move to free_ with their buffers, so steady writes allocate nothing.
  std::list<Segment> segments_;
  std::list<Segment> free_;
  std::vector<asio::const_buffer> gather_;
  std::size_t frontOffset_ = 0;  // bytes of the first segment already sent
  std::atomic<std::size_t> queued_{0};
  bool writing_ = false;
  bool flushPosted_ = false;
  bool flushListed_ = false;  // in worker_.flushList
  bool writeClosed_ = false;

  std::optional<asio::steady_timer> timer_;
  std::function<void()> timerFn_;
  std::uint64_t timerGeneration_ = 0;
};

// ---- IoServer::Impl ----

void IoServer::Impl::accept() {
  Worker& target = *workers[nextWorker++ % workers.size()];
  acceptor->async_accept(
      target.context, acceptedPeer,
      [self = shared_from_this(), &target](const error_code& ec, tcp::socket socket) {
        if (self->stopRequested) return;
        if (ec) {
          if (ec == asio::error::operation_aborted) return;
          // Out of descriptors and the like: say so, wait a little, go on.
          log::warn("accept: {}", ec.message());
          self->acceptRetry.emplace(self->workers[0]->context);
          self->acceptRetry->expires_after(std::chrono::milliseconds(100));
          self->acceptRetry->async_wait([self](const error_code& e) {
            if (!e && !self->stopRequested) self->accept();
          });
          return;
        }
        self->onAccepted(target, std::move(socket));
        self->accept();
      });
}

void IoServer::Impl::onAccepted(Worker& worker, tcp::socket socket) {
  error_code ec;
  const tcp::endpoint peer = acceptedPeer;
  // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d; report them as a.b.c.d.
  auto address =
      peer.address().is_v6() && peer.address().to_v6().is_v4_mapped()
          ? asio::ip::make_address_v4(asio::ip::v4_mapped, peer.address().to_v6()).to_string()
          : peer.address().to_string();
  // Over a limit the connection is refused at accept: closed before a byte is read.
  if (options.maxConnections && connectionCount >= options.maxConnections) {
    log::warn("refusing {}: {} connections open (IoOptions::maxConnections)", address,
              connectionCount.load());
    return;  // the socket closes as it goes out of scope
  }
  if (!admit(address)) {
    log::warn("refusing {}: {} connections from it (IoOptions::maxConnectionsPerIp)", address,
              options.maxConnectionsPerIp);
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);
  socket.non_blocking(true, ec);
  ++connectionCount;
  auto conn = std::make_shared<TcpConnection>(*this, worker, std::move(socket), std::move(address),
                                              peer.port());
  asio::post(worker.context, [self = shared_from_this(), &worker, conn] {
    if (worker.stopping) {  // never opened: no onClose; the socket closes with `conn`
      --self->connectionCount;
      self->release(conn->remoteAddress());
      return;
    }
    worker.connections.insert(conn);
    conn->start();
  });
}

void IoServer::Impl::removed(Worker& worker, const std::shared_ptr<TcpConnection>& conn) {
  if (worker.connections.erase(conn)) {
    --connectionCount;
    release(conn->remoteAddress());
  }
  if (worker.stopping && worker.connections.empty()) drained(worker);
}

bool IoServer::Impl::admit(const std::string& address) {
  if (!options.maxConnectionsPerIp) return true;
  std::lock_guard lock(perAddressMutex);
  auto& n = perAddress[address];
  if (n >= options.maxConnectionsPerIp) return false;
  ++n;
  return true;
}

void IoServer::Impl::release(const std::string& address) {
  if (!options.maxConnectionsPerIp) return;
  std::lock_guard lock(perAddressMutex);
  if (auto it = perAddress.find(address); it != perAddress.end() && --it->second == 0)
    perAddress.erase(it);
}

void IoServer::Impl::drained(Worker& worker) {
  if (worker.drained) return;
  worker.drained = true;
  if (worker.shutdownDeadline) worker.shutdownDeadline->cancel();
  // The last worker out releases thread 0's signal set, the only other thing keeping a loop
  // alive. (Without one, thread 0's loop may be gone: a handler posted there would never run.)
  if (--workersLeft == 0 && signals)
    asio::post(workers[0]->context, [self = shared_from_this()] { self->signals->cancel(); });
}

void IoServer::Impl::beginStop() {
  if (stopRequested.exchange(true)) return;
  workersLeft = workers.size();
  log::info("stopping: closing {} connections", connectionCount.load());
  asio::post(workers[0]->context, [self = shared_from_this()] {
    error_code ignored;
    if (self->acceptor) self->acceptor->close(ignored);
    if (self->acceptRetry) self->acceptRetry->cancel();
    for (auto& w : self->workers)
      asio::post(w->context, [self, &worker = *w] { self->stopWorker(worker); });
  });
}

void IoServer::Impl::stopWorker(Worker& worker) {
  worker.stopping = true;
  worker.work.reset();  // the loop ends once its last connection and timer are done
  if (worker.connections.empty()) return drained(worker);
  worker.shutdownDeadline.emplace(worker.context);
  worker.shutdownDeadline->expires_after(options.shutdownTimeout);
  worker.shutdownDeadline->async_wait([self = shared_from_this(), &worker](const error_code& ec) {
    if (!ec) self->abortWorker(worker);
  });
  const std::vector<std::shared_ptr<TcpConnection>> open(worker.connections.begin(),
                                                         worker.connections.end());
  for (auto& c : open) c->goingAway();
}

void IoServer::Impl::abortWorker(Worker& worker) {
  if (!worker.connections.empty())
    log::warn("shutdown timeout: dropping {} connections", worker.connections.size());
  const std::vector<std::shared_ptr<TcpConnection>> open(worker.connections.begin(),
                                                         worker.connections.end());
  for (auto& c : open) c->finalize();
}

// ---- IoServer ----

IoServer::IoServer(std::shared_ptr<MessageComponentInterface> component, std::uint16_t port,
                   std::string_view address, IoOptions options)
    : impl_(std::make_shared<Impl>(std::move(component), options)) {
  const tcp::endpoint endpoint(asio::ip::make_address(address), port);
  auto& acceptor = impl_->acceptor.emplace(impl_->workers[0]->context);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  if (endpoint.address().is_v6())
    acceptor.set_option(asio::ip::v6_only(false));  // dual stack on "::"
  acceptor.bind(endpoint);
  acceptor.listen(options.backlog);
  impl_->port = acceptor.local_endpoint().port();
}

IoServer::~IoServer() = default;

void IoServer::run() {
  auto& impl = *impl_;
  if (impl.options.handleSignals) {
    impl.signals.emplace(impl.workers[0]->context, SIGINT, SIGTERM);
    impl.signals->async_wait([&impl](const error_code& ec, int signal) {
      if (ec) return;
      log::info("signal {}: shutting down", signal);
      impl.beginStop();
      impl.signals->async_wait([&impl](const error_code& e, int) {
        if (e) return;
        log::warn("second signal: dropping all connections now");
        for (auto& w : impl.workers)
          asio::post(w->context, [&impl, &worker = *w] { impl.abortWorker(worker); });
      });
    });
  }
  impl.accept();

  auto loop = [](Worker& worker) {
    for (;;) {
      try {
        worker.context.run();
        return;
      } catch (const std::exception& e) {
        log::error("uncaught exception in the event loop: {}", e.what());
      }
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < impl.workers.size(); ++i)
    threads.emplace_back([&loop, &w = *impl.workers[i]] { loop(w); });
  loop(*impl.workers[0]);
  for (auto& t : threads) t.join();
  if (impl.signals) impl.signals.reset();
  log::info("stopped");
}

void IoServer::stop() {
  impl_->beginStop();
}

std::uint16_t IoServer::port() const noexcept {
  return impl_->port;
}
std::size_t IoServer::connectionCount() const noexcept {
  return impl_->connectionCount;
}

}  // namespace ratchet
