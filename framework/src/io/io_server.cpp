#include "ratchet/io_server.hpp"

#include "ratchet/log.hpp"

#include "io/component_feed.hpp"
#include "io/tcp_transport.hpp"
#include "io/worker.hpp"
#include "tls/tls_context.hpp"
#include "tls/tls_transport.hpp"

#include <boost/asio.hpp>

#include <malloc.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace ratchet {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using detail::TcpTransport;
using detail::Worker;

namespace {

// How often each worker looks for connections that went quiet (see Worker::sweepTimer).
constexpr auto kSweepPeriod = std::chrono::seconds(1);

// A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d; report them as a.b.c.d.
std::string peerAddress(const tcp::endpoint& peer) {
  const auto address = peer.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  return address.to_string();
}

}  // namespace

struct IoServer::Impl : std::enable_shared_from_this<IoServer::Impl> {
  Impl(std::shared_ptr<MessageComponentInterface> component, IoOptions opts)
      : options(std::move(opts)),
        feed(std::make_shared<detail::ComponentFeed>(std::move(component))) {
    if (options.tls) tls.emplace(*options.tls);  // reads the files now: errors at start-up
    const unsigned n =
        options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) {
      auto& worker = *workers.emplace_back(std::make_unique<Worker>());
      worker.onClosed = [this, &worker](const std::shared_ptr<TcpTransport>& c) {
        removed(worker, c);
      };
    }
  }

  void accept();
  void onAccepted(Worker& worker, tcp::socket socket);
  void open(Worker& worker, const std::shared_ptr<TcpTransport>& conn);
  void sweep(Worker& worker);
  void beginStop();
  void stopWorker(Worker& worker);
  void abortWorker(Worker& worker);
  void removed(Worker& worker, const std::shared_ptr<TcpTransport>& conn);
  void drained(Worker& worker);
  bool admit(const std::string& address);  // counts a connection from address, if allowed
  void release(const std::string& address);

  IoOptions options;
  std::shared_ptr<detail::ComponentFeed> feed;
  std::optional<detail::TlsContextSource> tls;
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
  auto address = peerAddress(peer);
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
  auto conn = std::make_shared<TcpTransport>(worker, std::move(socket), std::move(address),
                                             peer.port(), options);
  asio::post(worker.context, [self = shared_from_this(), &worker, conn] {
    if (worker.stopping) {  // never opened: no onClose; the socket closes with `conn`
      --self->connectionCount;
      self->release(conn->remoteAddress());
      return;
    }
    self->open(worker, conn);
  });
}

// The component sees the top transport: TLS over the TCP one, or the TCP one itself.
void IoServer::Impl::open(Worker& worker, const std::shared_ptr<TcpTransport>& conn) {
  worker.connections.insert(conn);
  if (tls) {
    auto secure = detail::TlsTransport::over(conn, tls->current(), worker.decryptBuffer(),
                                             Worker::kReadBufferSize, options.maxQueuedBytes);
    detail::ComponentFeed::open(feed, *secure);
  } else {
    detail::ComponentFeed::open(feed, *conn);
  }
  conn->start();
}

void IoServer::Impl::sweep(Worker& worker) {
  ++worker.sweepTick;
  std::size_t quiet = 0;
  for (const auto& c : worker.connections) quiet += c->sweep(worker.sweepTick);
#ifdef __GLIBC__
  // Connections that went quiet gave back their buffers (TLS records, inflate state, message
  // buffers), freed among chunks still in use: glibc keeps such pages resident until asked.
  if (quiet > 0) malloc_trim(0);
#endif
  worker.sweepTimer->expires_after(kSweepPeriod);
  worker.sweepTimer->async_wait([self = shared_from_this(), &worker](const error_code& ec) {
    if (!ec && !worker.stopping) self->sweep(worker);
  });
}

void IoServer::Impl::removed(Worker& worker, const std::shared_ptr<TcpTransport>& conn) {
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
  if (worker.sweepTimer) worker.sweepTimer->cancel();
  if (worker.connections.empty()) return drained(worker);
  worker.shutdownDeadline.emplace(worker.context);
  worker.shutdownDeadline->expires_after(options.shutdownTimeout);
  worker.shutdownDeadline->async_wait([self = shared_from_this(), &worker](const error_code& ec) {
    if (!ec) self->abortWorker(worker);
  });
  const std::vector<std::shared_ptr<TcpTransport>> open(worker.connections.begin(),
                                                        worker.connections.end());
  for (auto& c : open) c->stop();
}

void IoServer::Impl::abortWorker(Worker& worker) {
  if (!worker.connections.empty())
    log::warn("shutdown timeout: dropping {} connections", worker.connections.size());
  const std::vector<std::shared_ptr<TcpTransport>> open(worker.connections.begin(),
                                                        worker.connections.end());
  for (auto& c : open) c->finalize();
}

// ---- IoServer ----

IoServer::IoServer(std::shared_ptr<MessageComponentInterface> component, std::uint16_t port,
                   std::string_view address, IoOptions options)
    : impl_(std::make_shared<Impl>(std::move(component), std::move(options))) {
  const tcp::endpoint endpoint(asio::ip::make_address(address), port);
  auto& acceptor = impl_->acceptor.emplace(impl_->workers[0]->context);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  if (endpoint.address().is_v6())
    acceptor.set_option(asio::ip::v6_only(false));  // dual stack on "::"
  acceptor.bind(endpoint);
  acceptor.listen(impl_->options.backlog);
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
  for (auto& w : impl.workers) {
    w->sweepTimer.emplace(w->context);
    asio::post(w->context, [self = impl.shared_from_this(), &worker = *w] {
      if (!worker.stopping) self->sweep(worker);
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

bool IoServer::reloadTls() {
  if (!impl_->tls) throw std::logic_error("IoServer::reloadTls: the server has no TLS");
  return impl_->tls->reload();
}

bool IoServer::isTls() const noexcept {
  return impl_->tls.has_value();
}

std::uint16_t IoServer::port() const noexcept {
  return impl_->port;
}
std::size_t IoServer::connectionCount() const noexcept {
  return impl_->connectionCount;
}

}  // namespace ratchet
