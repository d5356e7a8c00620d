#pragma once
// Test support: a server running on a background thread, and real clients over loopback.
// Every blocking client call is bounded by a socket timeout, so a broken server fails a test
// instead of hanging it.

#include <ratchet/ratchet.hpp>

#include <doctest/doctest.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <poll.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

inline constexpr auto kTimeout = std::chrono::seconds(10);

/// Options that suit tests: no signal handling, short shutdown, `threads` I/O threads.
inline ratchet::AppOptions testOptions(unsigned threads = 2) {
  ratchet::AppOptions o;
  o.io.threads = threads;
  o.io.handleSignals = false;
  o.io.shutdownTimeout = std::chrono::seconds(3);
  return o;
}

/// An App whose routes are added by `setup` before run(), for use with Running<>.
class RoutedApp {
 public:
  RoutedApp(ratchet::AppOptions options, const std::function<void(ratchet::App&)>& setup,
            std::string address = "127.0.0.1")
      : app_("localhost", 0, std::move(address), options) {
    setup(app_);
  }
  void run() { app_.run(); }
  void stop() { app_.stop(); }
  std::uint16_t port() const { return app_.port(); }
  ratchet::App& app() { return app_; }

 private:
  ratchet::App app_;
};

/// Runs `server.run()` on a thread; the destructor stops the server and joins.
/// Server is App or IoServer (anything with run/stop/port).
template <class Server>
class Running {
 public:
  template <class... Args>
  explicit Running(Args&&... args) : server_(std::forward<Args>(args)...) {
    thread_ = std::thread([this] { server_.run(); });
  }
  ~Running() { stop(); }
  /// Stops and waits for run() to return.
  void stop() {
    if (!thread_.joinable()) return;
    server_.stop();
    thread_.join();
  }
  Server& operator*() { return server_; }
  Server* operator->() { return &server_; }
  std::uint16_t port() const { return server_.port(); }

 private:
  Server server_;
  std::thread thread_;
};

/// Aborts the process (doctest reports the test case as crashed) if a test case runs longer
/// than `limit`, so that a hang fails with a message instead of waiting for CTest's timeout.
class Watchdog {
 public:
  explicit Watchdog(const char* what, std::chrono::seconds limit = std::chrono::seconds(90))
      : thread_([this, what, limit] {
          std::unique_lock lock(mutex_);
          if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
            std::fprintf(stderr, "watchdog: '%s' still running after %llds, aborting\n", what,
                         static_cast<long long>(limit.count()));
            std::fflush(stderr);
            std::abort();
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

/// Bounds every blocking call on a socket: a call still blocked after kTimeout has its
/// socket shut down, so it returns an error and the test fails instead of hanging.
/// (SO_RCVTIMEO does not do it: Asio's blocking read waits again after EAGAIN.)
class Deadline {
 public:
  explicit Deadline(tcp::socket& socket) : fd_(socket.native_handle()) {
    thread_ = std::thread([this] { watch(); });
  }
  ~Deadline() {
    {
      std::lock_guard l(m_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  /// Arms the deadline for the lifetime of the returned object.
  [[nodiscard]] auto scope() {
    {
      std::lock_guard l(m_);
      until_ = std::chrono::steady_clock::now() + kTimeout;
    }
    cv_.notify_all();
    struct Disarm {
      Deadline* d;
      ~Disarm() {
        std::lock_guard l(d->m_);
        d->until_.reset();
      }
    };
    return Disarm{this};
  }

 private:
  void watch() {
    std::unique_lock l(m_);
    while (!stop_) {
      if (!until_) {
        cv_.wait(l, [&] { return stop_ || until_; });
        continue;
      }
      const auto until = *until_;
      if (cv_.wait_until(l, until, [&] { return stop_ || until_ != until; })) continue;
      ::shutdown(fd_, SHUT_RDWR);  // the blocked call returns; the test sees an error
      fired_ = true;
      until_.reset();
    }
  }

  int fd_;
  std::mutex m_;
  std::condition_variable cv_;
  std::optional<std::chrono::steady_clock::time_point> until_;
  bool stop_ = false;
  std::atomic<bool> fired_ = false;
  std::thread thread_;

 public:
  /// True once a call timed out (its error is ours, not the peer's).
  bool fired() const noexcept { return fired_; }
};

/// A Boost.Beast WebSocket client (an independent implementation of RFC 6455).
class WsClient {
 public:
  /// `deflate`: Beast's own permessage-deflate (its zlib port, not ours) offered as given.
  explicit WsClient(std::uint16_t port, std::string target = "/echo",
                    std::function<void(websocket::request_type&)> decorate = {},
                    std::string address = "127.0.0.1",
                    std::optional<websocket::permessage_deflate> deflate = {})
      : ws_(ioc_) {
    if (deflate) ws_.set_option(*deflate);
    auto& sock = ws_.next_layer();
    sock.connect(tcp::endpoint(asio::ip::make_address(address), port));
    deadline_.emplace(sock);
    auto bounded = deadline_->scope();
    ws_.set_option(websocket::stream_base::decorator([decorate](websocket::request_type& req) {
      if (decorate) decorate(req);
    }));
    ws_.read_message_max(64 * 1024 * 1024);
    ws_.handshake(response_, address + ":" + std::to_string(port), target);
  }

  void send(std::string_view text) {
    auto bounded = deadline_->scope();
    ws_.text(true), ws_.write(asio::buffer(text));
  }
  void sendBinary(std::string_view bytes) {
    auto bounded = deadline_->scope();
    ws_.binary(true), ws_.write(asio::buffer(bytes));
  }
  /// Sends one message as fragments of `fragment` bytes.
  void sendFragmented(std::string_view data, std::size_t fragment, bool binary = false) {
    auto bounded = deadline_->scope();
    ws_.binary(binary);
    do {
      const auto n = std::min(fragment, data.size());
      ws_.write_some(n == data.size(), asio::buffer(data.substr(0, n)));
      data.remove_prefix(n);
    } while (!data.empty());
  }

  /// Reads the next message; throws on close or timeout.
  std::string read() {
    auto bounded = deadline_->scope();
    beast::flat_buffer b;
    ws_.read(b);
    lastWasBinary_ = ws_.got_binary();
    return beast::buffers_to_string(b.data());
  }
  bool lastWasBinary() const { return lastWasBinary_; }

  /// Reads until the server's close frame arrives; returns its code (1006 if none came).
  std::uint16_t readClose() {
    auto bounded = deadline_->scope();
    beast::flat_buffer b;
    beast::error_code ec;
    for (int i = 0; i < 1000 && !ec; ++i) ws_.read(b, ec), b.clear();
    if (ec == websocket::error::closed) return static_cast<std::uint16_t>(ws_.reason().code);
    return ratchet::close_code::abnormal;
  }
  std::string closeReason() const { return std::string(ws_.reason().reason.c_str()); }

  void close(std::uint16_t code = 1000, std::string_view reason = {}) {
    auto bounded = deadline_->scope();
    ws_.close(websocket::close_reason(static_cast<websocket::close_code>(code), reason));
  }
  /// Drops the TCP connection without a close handshake.
  void drop() {
    beast::error_code ec;
    auto& s = ws_.next_layer();
    s.set_option(asio::socket_base::linger(true, 0), ec);  // RST, as a crashed peer would
    s.close(ec);
  }

  websocket::stream<tcp::socket>& stream() { return ws_; }
  const websocket::response_type& response() const { return response_; }

 private:
  asio::io_context ioc_;
  websocket::stream<tcp::socket> ws_;
  std::optional<Deadline> deadline_;
  websocket::response_type response_;
  bool lastWasBinary_ = false;
};

/// A plain TCP client that sends and reads raw bytes (for malformed input and raw-TCP servers).
class RawClient {
 public:
  explicit RawClient(std::uint16_t port, std::string address = "127.0.0.1") : sock_(ioc_) {
    sock_.connect(tcp::endpoint(asio::ip::make_address(address), port));
    deadline_.emplace(sock_);
  }
  void write(std::string_view bytes) {
    auto bounded = deadline_->scope();
    asio::write(sock_, asio::buffer(bytes));
  }
  /// Reads whatever arrives next (at least one byte); empty on EOF/reset/timeout.
  std::string readSome() {
    char buf[65536];
    beast::error_code ec;
    auto bounded = deadline_->scope();
    const auto n = sock_.read_some(asio::buffer(buf), ec);
    return ec ? std::string() : std::string(buf, n);
  }
  /// Reads exactly n bytes; throws on EOF or timeout.
  std::string readExactly(std::size_t n) {
    std::string s(n, '\0');
    auto bounded = deadline_->scope();
    asio::read(sock_, asio::buffer(s));
    return s;
  }
  /// Reads until EOF (or error/timeout) and returns everything received.
  std::string readAll() {
    std::string all;
    for (int i = 0; i < 100000; ++i) {
      auto chunk = readSome();
      if (chunk.empty()) break;
      all += chunk;
    }
    return all;
  }
  /// True when the server closed the connection (EOF or reset) within the timeout.
  bool closedByPeer() {
    char c;
    beast::error_code ec;
    auto bounded = deadline_->scope();
    for (int i = 0; i < 100000; ++i) {
      sock_.read_some(asio::buffer(&c, 1), ec);
      if (ec)
        return (ec == asio::error::eof || ec == asio::error::connection_reset) &&
               !deadline_->fired();
    }
    return false;
  }
  /// Sends a valid upgrade request for `target` and consumes the 101 response.
  void upgrade(std::string_view target = "/echo") {
    write(std::string("GET ") + std::string(target) +
          " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos) {
      auto chunk = readExactly(1);
      head += chunk;
    }
    REQUIRE(head.starts_with("HTTP/1.1 101"));
  }
  void drop() {
    beast::error_code ec;
    sock_.set_option(asio::socket_base::linger(true, 0), ec);
    sock_.close(ec);
  }
  tcp::socket& socket() { return sock_; }

 private:
  asio::io_context ioc_;
  tcp::socket sock_;
  std::optional<Deadline> deadline_;
};

/// A RawClient with a receive buffer, for parsing exactly what the server sends (an HTTP
/// head, a body, WebSocket frames) whatever the segmentation. Every wait is bounded by poll().
class BufferedPeer {
 public:
  explicit BufferedPeer(std::uint16_t port) : raw_(port) {}

  void write(std::string_view bytes) { raw_.write(bytes); }

  /// The next n bytes; nullopt when the connection ended or timed out first.
  std::optional<std::string> readBytes(std::size_t n) {
    for (int i = 0; i < 100000 && buf_.size() < n; ++i)
      if (!fill()) return std::nullopt;
    if (buf_.size() < n) return std::nullopt;
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
  }

  /// True when the server ended the connection (EOF or reset) with nothing more to read.
  bool closedByPeer() {
    for (int i = 0; i < 10 && buf_.empty(); ++i)
      if (!fill()) return eof_;
    return false;  // unexpected bytes arrived instead
  }

 protected:
  // Appends what arrives next to buf_; false on EOF, error or timeout.
  bool fill() {
    auto& sock = raw_.socket();
    pollfd pfd{sock.native_handle(), POLLIN, 0};
    const int timeoutMs =
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(kTimeout).count());
    if (::poll(&pfd, 1, timeoutMs) <= 0) {
      eof_ = false;
      lastError_ = "timed out";
      return false;
    }
    char tmp[65536];
    boost::system::error_code ec;
    const auto n = sock.read_some(asio::buffer(tmp), ec);
    if (ec) {
      eof_ = ec == asio::error::eof || ec == asio::error::connection_reset;
      lastError_ = ec.message();
      return false;
    }
    buf_.append(tmp, n);
    return true;
  }

  RawClient raw_;
  std::string buf_;
  bool eof_ = false;
  std::string lastError_;
};

/// A masked client frame, as RFC 6455 requires clients to send.
inline std::string clientFrame(std::uint8_t opcode, std::string_view payload, bool fin = true,
                               std::uint8_t rsv = 0) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | (rsv << 4) | opcode));
  const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(0x80 | payload.size()));
  } else if (payload.size() < 65536) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xFF));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((payload.size() >> (8 * i)) & 0xFF));
  }
  f.append(reinterpret_cast<const char*>(mask), 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    f.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return f;
}

/// One HTTP request over a fresh connection; returns the response (or throws).
inline http::response<http::string_body> httpRequest(std::uint16_t port,
                                                     http::request<http::string_body> req) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  Deadline deadline(s);
  auto bounded = deadline.scope();
  if (!req.count(http::field::host))
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.prepare_payload();
  http::write(s, req);
  beast::flat_buffer b;
  http::response<http::string_body> res;
  http::read(s, b, res);
  return res;
}

/// A persistent HTTP/1.1 connection: requests one after another (or pipelined with write()
/// and read()), as a browser keeps its connection alive.
class HttpSession {
 public:
  explicit HttpSession(std::uint16_t port) : port_(port), sock_(ioc_) {
    sock_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    deadline_.emplace(sock_);
  }
  static http::request<http::string_body> make(http::verb verb, std::string target,
                                               std::string body = {}) {
    http::request<http::string_body> req(verb, target, 11);
    req.body() = std::move(body);
    return req;
  }
  /// Sends a request (Host and Content-Length are filled in).
  void write(http::request<http::string_body> req) {
    if (!req.count(http::field::host))
      req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
    req.prepare_payload();
    heads_.push_back(req.method() == http::verb::head);
    auto bounded = deadline_->scope();
    http::write(sock_, req);
  }
  /// Reads the response to the oldest request written and not yet answered.
  http::response<http::string_body> read() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (!heads_.empty()) {
      parser.skip(heads_.front());
      heads_.erase(heads_.begin());
    }
    auto bounded = deadline_->scope();
    http::read(sock_, buffer_, parser);
    return parser.release();
  }
  http::response<http::string_body> request(http::request<http::string_body> req) {
    write(std::move(req));
    return read();
  }
  http::response<http::string_body> get(std::string target) {
    return request(make(http::verb::get, std::move(target)));
  }
  /// True when the server ends the connection (EOF or reset) within the timeout, with no
  /// more bytes before it.
  bool closedByPeer() {
    if (buffer_.size() > 0) return false;
    char c;
    beast::error_code ec;
    auto bounded = deadline_->scope();
    sock_.read_some(asio::buffer(&c, 1), ec);
    return (ec == asio::error::eof || ec == asio::error::connection_reset) && !deadline_->fired();
  }
  tcp::socket& socket() { return sock_; }

 private:
  std::uint16_t port_;
  asio::io_context ioc_;
  tcp::socket sock_;
  std::optional<Deadline> deadline_;
  beast::flat_buffer buffer_;
  std::vector<bool> heads_;  // whether each request awaiting its response was a HEAD
};

/// Sends raw request bytes; returns the response status code (0 when none came).
inline int rawStatus(std::uint16_t port, std::string_view rawRequest) {
  RawClient c(port);
  c.write(rawRequest);
  const auto all = c.readAll();
  if (!all.starts_with("HTTP/1.1 ")) return 0;
  return std::stoi(all.substr(9, 3));
}

/// Waits (bounded) until `predicate()` holds; the condition is polled, the wait is a
/// condition variable notified by test components, never a fixed sleep.
class Signal {
 public:
  void notify() {
    {
      std::lock_guard l(m_);
      ++generation_;
    }
    cv_.notify_all();
  }
  template <class Pred>
  bool waitFor(Pred pred, std::chrono::milliseconds timeout = kTimeout) {
    std::unique_lock l(m_);
    return cv_.wait_for(l, timeout, [&] { return pred(); });
  }
  std::mutex& mutex() { return m_; }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::uint64_t generation_ = 0;
};

}  // namespace test
