#include "connection.hpp"

#include "handshake.hpp"
#include "net.hpp"
#include "runner.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>

namespace bench {
namespace {

namespace net = boost::asio;
constexpr auto kStepTimeout = std::chrono::seconds(10);  // connect, upgrade, close handshake
constexpr int kLoggedFailures = 10;                      // stderr lines, per process
// wss reads ciphertext into the read buffer: room for record headers and tags, and for
// most of the server's handshake flight in one read.
constexpr std::size_t kTlsReadExtra = 1024;

const char* stateName(Connection::State s) {
  static constexpr const char* names[] = {"idle",      "connecting",  "TLS handshaking",
                                          "upgrading", "open",        "closing",
                                          "closed",    "closing TLS", "done"};
  return names[static_cast<int>(s)];
}

}  // namespace

Connection::Connection(Worker& worker, std::size_t readBufferSize)
    : worker_(worker),
      socket_(worker.io),
      readBuffer_(readBufferSize + (worker.target.tls ? kTlsReadExtra : 0)),
      secure_(worker.target.tls != nullptr) {}

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
  deflate_.reset();
  ownInflater_.reset();
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
  if (secure_) {
    // A fresh session each attempt: a full handshake, never a resumption.
    setState(State::securing, kStepTimeout);
    if (!tls_.start(*worker_.target.tls, worker_.target.serverName))
      return fail(Failure::handshake, tls_.error());
    kickWrite();  // the ClientHello; the upgrade request follows the handshake
  } else if (worker_.target.raw) {
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
                       if (g == generation_) onWritten(e);
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
  if (secure_) return onTlsRead(ec, n);
  if (ec == net::error::eof) return onEof();
  if (ec) return fail(Failure::io_error, "read: " + ec.message());
  deliver(readBuffer_.data(), n);
  if (state_ == State::done) return;
  read();
  kickWrite();  // what the scenario wants to send in answer to this batch, in one write
}

// wss: `n` bytes of ciphertext are in the read buffer.
void Connection::onTlsRead(const boost::system::error_code& ec, std::size_t n) {
  if (state_ == State::tlsClosing) {
    // Both close_notify alerts are out: only the end of TCP is left. A reset (the server
    // closed without waiting for ours, which TLS allows) ends it as well.
    if (ec) return finish();
    return read();  // nothing may follow close_notify; whatever does is not looked at
  }
  if (ec == net::error::eof) {
    if (state_ == State::closeReceived)
      return fail(Failure::bad_close, "server ended TCP without a TLS close_notify");
    return fail(Failure::early_close, std::string("server ended TCP while ") + stateName(state_));
  }
  if (ec) return fail(Failure::io_error, "read: " + ec.message());
  tls_.feed(readBuffer_.data(), n);
  if (state_ == State::securing) {
    const auto status = tls_.handshake();
    if (status == TlsClient::Status::error) return fail(Failure::handshake, tls_.error());
    if (status == TlsClient::Status::done) {
      setState(State::upgrading, kStepTimeout);
      // Goes out with our Finished, in the same write.
      const std::string& request = worker_.target.upgradeRequest;
      if (!tls_.write(request.data(), request.size())) return fail(Failure::io_error, tls_.error());
    }
  }
  // The BIO holds the ciphertext now, so the read buffer takes the plaintext, in chunks.
  // Ends when OpenSSL needs more input: every pass consumes some of it.
  while (state_ != State::securing) {
    std::size_t got = 0;
    const auto status = tls_.read(readBuffer_.data(), readBuffer_.size(), got);
    if (status == TlsClient::Status::error) return fail(Failure::io_error, tls_.error());
    if (status == TlsClient::Status::closed) return onTlsClose();
    if (got == 0) break;
    deliver(readBuffer_.data(), got);
    if (state_ == State::done) return;
  }
  read();
  kickWrite();  // handshake messages, and what the scenario answers, in one write
}

// wss: the server's close_notify. Only right after the WebSocket close handshake; we answer
// with ours and wait for the server to end TCP.
void Connection::onTlsClose() {
  if (state_ != State::closeReceived)
    return fail(Failure::early_close,
                std::string("server sent TLS close_notify while ") + stateName(state_));
  // A close frame we still owe (the server closed first) goes before our close_notify.
  if (!controlPending_.empty() && !tls_.write(controlPending_.data(), controlPending_.size()))
    return fail(Failure::io_error, tls_.error());
  controlPending_.clear();
  tls_.shutdown();
  setState(State::tlsClosing, kStepTimeout);
  read();
  kickWrite();
}

// Plaintext from the server: the upgrade response, then frames (or raw echo bytes).
void Connection::deliver(const char* p, std::size_t n) {
  if (state_ == State::upgrading && !consumeUpgrade(p, n)) return;
  if (worker_.target.raw) {
    deliverRaw(p, n);
  } else if (n > 0) {
    if (auto error = parser_.parse(p, n, *this); !error.empty()) fail(Failure::bad_frame, error);
  }
}

// Collects the response head; true when it is complete and valid and `p`/`n` now hold the
// bytes after it. False when more is needed (the caller reads on) or the upgrade failed.
bool Connection::consumeUpgrade(const char*& p, std::size_t& n) {
  const std::size_t before = head_.size();
  head_.append(p, n);
  const auto end = head_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
  if (end == std::string::npos) {
    if (head_.size() > kMaxResponseHead) fail(Failure::handshake, "response head too large");
    return false;
  }
  std::string extensions;
  if (auto error = checkUpgradeResponse(std::string_view(head_).substr(0, end + 4), &extensions);
      !error.empty()) {
    fail(Failure::handshake, error);
    return false;
  }
  if (!agreeDeflate(extensions)) return false;
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

// The response's extensions against our offer. With --deflate, a server that does not agree
// to permessage-deflate fails the connection: a deflate cell must not measure plain frames.
bool Connection::agreeDeflate(const std::string& extensions) {
  if (!worker_.target.deflate.enabled) {
    if (extensions.empty()) return true;
    fail(Failure::handshake, "the server answered with extensions we did not offer: " + extensions);
    return false;
  }
  DeflateAgreement agreed;
  if (auto error = parseDeflateResponse(extensions, agreed); !error.empty()) {
    fail(Failure::handshake, "--deflate: permessage-deflate was not negotiated: " + error);
    return false;
  }
  deflate_ = agreed;
  parser_.acceptCompressed();
  return true;
}

bool Connection::appendCompressedFrame(std::string& out, Opcode opcode, std::string_view payload) {
  const std::size_t at = out.size();
  out.resize(at + kMaxClientHeader);  // room for the longest header; moved up when shorter
  if (!worker_.zlib.deflater(std::max(deflate_->clientMaxWindowBits, 9)).compress(payload, out)) {
    fail(Failure::io_error, "zlib could not compress a message");
    return false;
  }
  const std::size_t size = out.size() - at - kMaxClientHeader;
  char header[kMaxClientHeader];
  const std::size_t h = writeClientHeader(header, opcode, size, true);
  if (h < kMaxClientHeader) {
    std::memmove(out.data() + at + h, out.data() + at + kMaxClientHeader, size);
    out.resize(at + h + size);
  }
  std::memcpy(out.data() + at, header, h);
  applyMask(out.data() + at + h, size);
  return true;
}

// A whole compressed message: inflate it and report it as if it had come in plain.
std::string_view Connection::onCompressedMessage(Opcode type, std::string_view payload) {
  std::uint64_t offset = 0;
  const auto sink = [&](const char* p, std::size_t n) {
    onData(p, n, offset);
    offset += n;
    return state_ != State::done;
  };
  bool ok;
  if (deflate_->serverNoContextTakeover) {
    ok = worker_.zlib.inflateShared(payload, sink);
  } else {  // the server's context lives on in the connection's own inflater
    if (!ownInflater_) ownInflater_ = std::make_unique<Inflater>(15);
    ok = ownInflater_->inflate(payload, worker_.zlib.inflateBuffer(), true, sink);
  }
  if (!ok) return "corrupt permessage-deflate data";
  if (state_ != State::done) onMessageEnd(type, offset);
  return {};
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
  if (secure_) return writeTls();
  if (writeBuffers_.empty()) return;
  writing_ = true;
  net::async_write(socket_, writeBuffers_,
                   [this, g = generation_](const boost::system::error_code& ec, std::size_t) {
                     if (g == generation_) onWritten(ec);
                   });
}

// wss: the gathered buffers become one record, sent with whatever else OpenSSL has queued
// (handshake messages, close_notify). The ciphertext is copied out of the BIO, as OpenSSL
// may add to it (e.g. while reading) before this write completes.
void Connection::writeTls() {
  if (!writeBuffers_.empty() && !tls_.write(writeBuffers_))
    return fail(Failure::io_error, tls_.error());
  if (!tls_.takeOutput(cipherWriting_)) return;
  writing_ = true;
  net::async_write(socket_, net::buffer(cipherWriting_),
                   [this, g = generation_](const boost::system::error_code& ec, std::size_t) {
                     if (g == generation_) onWritten(ec);
                   });
}

void Connection::onWritten(const boost::system::error_code& ec) {
  writing_ = false;
  if (state_ == State::done) return;
  if (ec) {
    // Our close_notify may find the server gone: it need not wait for it.
    if (state_ == State::tlsClosing) return finish();
    return fail(Failure::io_error, "write: " + ec.message());
  }
  kickWrite();
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
  tls_.reset();  // the session's memory, now rather than at the next attempt
  ownInflater_.reset();
  if (paced_) paced_ = false, worker_.connectDone();
  setState(State::done, Clock::duration::max());
  worker_.stats.finished.add();
  onFinished(!failed_);
}

}  // namespace bench
