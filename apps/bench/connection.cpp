#include "connection.hpp"

#include "handshake.hpp"
#include "net.hpp"
#include "runner.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <cstdio>

namespace bench {
namespace {

namespace net = boost::asio;
constexpr auto kStepTimeout = std::chrono::seconds(10);  // connect, upgrade, close handshake
constexpr int kLoggedFailures = 10;                      // stderr lines, per process

const char* stateName(Connection::State s) {
  static constexpr const char* names[] = {"idle",    "connecting", "upgrading", "open",
                                          "closing", "closed",     "done"};
  return names[static_cast<int>(s)];
}

}  // namespace

Connection::Connection(Worker& worker, std::size_t readBufferSize)
    : worker_(worker), socket_(worker.io), readBuffer_(readBufferSize) {}

void Connection::setState(State s, Clock::duration timeout) {
  state_ = s;
  deadline_ = timeout == Clock::duration::max() ? Clock::time_point::max() : Clock::now() + timeout;
}

void Connection::start(std::size_t source) {
  boost::system::error_code ec;
  if (socket_.is_open()) socket_.close(ec);
  head_.clear();
  parser_.reset();
  controlPending_.clear();
  rawOffset_ = 0;
  failed_ = false;
  writing_ = false;
  ++generation_;  // handlers of the previous attempt's socket see they are stale
  worker_.stats.started.add();
  setState(State::connecting, kStepTimeout);
  openBound(socket_, sourceAddress(source, worker_.target.sourceAddresses), ec);
  if (ec) return fail(Failure::connect, ec.message());
  socket_.async_connect(worker_.target.endpoint,
                        [this, g = generation_](const boost::system::error_code& e) {
                          if (g == generation_) onConnected(e);
                        });
}

void Connection::onConnected(const boost::system::error_code& ec) {
  if (state_ != State::connecting) return;
  if (ec) return fail(Failure::connect, ec.message());
  if (worker_.target.raw) {
    setState(State::open, Clock::duration::max());
    worker_.stats.connected.add();
    if (paced_) paced_ = false, worker_.connectDone();
    onOpen();
    kickWrite();
  } else {
    setState(State::upgrading, kStepTimeout);
    writing_ = true;
    net::async_write(socket_, net::buffer(worker_.target.upgradeRequest),
                     [this, g = generation_](const boost::system::error_code& e, std::size_t) {
                       if (g != generation_) return;
                       writing_ = false;
                       if (e) return fail(Failure::io_error, e.message());
                       kickWrite();
                     });
  }
  read();
}

void Connection::read() {
  socket_.async_read_some(
      net::buffer(readBuffer_),
      [this, g = generation_](const boost::system::error_code& ec, std::size_t n) {
        if (g == generation_) onRead(ec, n);
      });
}

void Connection::onRead(const boost::system::error_code& ec, std::size_t n) {
  if (state_ == State::done) return;
  readTime_ = Clock::now();
  if (ec == net::error::eof) return onEof();
  if (ec) return fail(Failure::io_error, "read: " + ec.message());
  const char* p = readBuffer_.data();
  if (state_ == State::upgrading && !consumeUpgrade(p, n)) return;
  if (worker_.target.raw) {
    deliverRaw(p, n);
  } else if (n > 0) {
    if (auto error = parser_.parse(p, n, *this); !error.empty())
      return fail(Failure::bad_frame, error);
  }
  if (state_ == State::done) return;
  read();
  kickWrite();  // what the scenario wants to send in answer to this batch, in one write
}

// Collects the response head; true when it is complete and valid and `p`/`n` now hold the
// bytes after it. False when more is needed (a read is started) or the upgrade failed.
bool Connection::consumeUpgrade(const char*& p, std::size_t& n) {
  const std::size_t before = head_.size();
  head_.append(p, n);
  const auto end = head_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
  if (end == std::string::npos) {
    if (head_.size() > kMaxResponseHead) {
      fail(Failure::handshake, "response head too large");
    } else {
      read();
    }
    return false;
  }
  if (auto error = checkUpgradeResponse(std::string_view(head_).substr(0, end + 4));
      !error.empty()) {
    fail(Failure::handshake, error);
    return false;
  }
  const std::size_t rest = head_.size() - (end + 4);
  p += n - rest;
  n = rest;
  head_.clear();
  head_.shrink_to_fit();
  setState(State::open, Clock::duration::max());
  worker_.stats.connected.add();
  if (paced_) paced_ = false, worker_.connectDone();
  onOpen();
  return state_ != State::done;
}

void Connection::deliverRaw(const char* p, std::size_t n) {
  const std::size_t size = worker_.target.rawMessageSize;
  while (n > 0 && state_ != State::done) {  // each pass consumes at least one byte
    const std::size_t take = std::min<std::size_t>(n, size - rawOffset_);
    onData(p, take, rawOffset_);
    p += take;
    n -= take;
    rawOffset_ += take;
    if (rawOffset_ == size) {
      rawOffset_ = 0;
      if (state_ != State::done) onMessageEnd(Opcode::binary, size);
    }
  }
}

void Connection::onPing(std::string_view payload) {
  appendClientFrame(controlPending_, Opcode::pong, payload);
}

void Connection::onClose(std::uint16_t code) {
  if (state_ == State::closing) {
    if (code != 1000) countFailure(Failure::bad_close, "server answered close with another code");
  } else {
    countFailure(Failure::early_close, "server sent close " + std::to_string(code));
    // Echo the code (RFC 6455 section 5.5.1); no code when the server gave none.
    std::string payload;
    if (code != 1005) payload = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    appendClientFrame(controlPending_, Opcode::close, payload);
  }
  setState(State::closeReceived, kStepTimeout);  // the server ends TCP next
}

void Connection::onEof() {
  if (state_ == State::closeReceived || (worker_.target.raw && state_ == State::closing))
    return finish();
  fail(Failure::early_close, std::string("server ended TCP while ") + stateName(state_));
}

void Connection::close() {
  if (state_ != State::open) return;
  setState(State::closing, kStepTimeout);
  if (worker_.target.raw) {
    boost::system::error_code ec;
    socket_.shutdown(net::ip::tcp::socket::shutdown_send, ec);
    return;
  }
  appendClientFrame(controlPending_, Opcode::close, std::string_view("\x03\xe8", 2));  // 1000
  kickWrite();
}

void Connection::kickWrite() {
  if (writing_ || state_ == State::done || state_ == State::connecting) return;
  writeBuffers_.clear();
  controlWriting_.swap(controlPending_);
  controlPending_.clear();
  if (!controlWriting_.empty()) writeBuffers_.push_back(net::buffer(controlWriting_));
  if (state_ == State::open) fillWrite(writeBuffers_, Clock::now());
  if (writeBuffers_.empty()) return;
  writing_ = true;
  net::async_write(socket_, writeBuffers_,
                   [this, g = generation_](const boost::system::error_code& ec, std::size_t) {
                     if (g != generation_) return;
                     writing_ = false;
                     if (state_ == State::done) return;
                     if (ec) return fail(Failure::io_error, "write: " + ec.message());
                     kickWrite();
                   });
}

void Connection::checkTimeout(Clock::time_point now) {
  if (state_ != State::done && state_ != State::idle && now > deadline_)
    fail(Failure::timeout, std::string("no progress while ") + stateName(state_));
}

void Connection::countFailure(Failure kind, std::string_view detail) {
  failed_ = true;
  worker_.stats.failures[static_cast<std::size_t>(kind)].add();
  static std::atomic<int> logged{0};
  if (logged.fetch_add(1, std::memory_order_relaxed) < kLoggedFailures)
    std::fprintf(stderr, "ratchet-bench: failure %s: %.*s\n", failureName(kind).data(),
                 static_cast<int>(detail.size()), detail.data());
}

void Connection::fail(Failure kind, std::string_view detail) {
  if (state_ == State::done) return;
  countFailure(kind, detail);
  finish();
}

void Connection::finish() {
  parser_.stop();
  boost::system::error_code ec;
  socket_.close(ec);
  if (paced_) paced_ = false, worker_.connectDone();
  setState(State::done, Clock::duration::max());
  worker_.stats.finished.add();
  onFinished(!failed_);
}

}  // namespace bench
