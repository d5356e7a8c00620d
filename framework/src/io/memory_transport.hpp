#pragma once
// An in-memory transport (framework-internal, for tests): the layers above it run exactly
// as over TCP, but the test feeds the bytes, reads what was written, and moves a virtual
// clock. In the spirit of Beast's test::stream. Single-threaded: the test's thread is the
// transport's I/O thread.

#include "io/component_feed.hpp"
#include "io/transport.hpp"

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace ratchet::detail {

struct MemoryTransportOptions {
  std::size_t maxQueuedBytes = 16 * 1024 * 1024;
  Duration lingerTimeout = std::chrono::seconds(2);
};

class MemoryTransport final : public Transport {
 public:
  using Options = MemoryTransportOptions;

  explicit MemoryTransport(Options options = {}, std::uint64_t id = 1,
                           std::string address = "127.0.0.1", std::uint16_t port = 40000)
      : Transport(id, std::move(address), port), options_(options) {}

  /// A connection to `component` as IoServer would make it: its onOpen now. When the test
  /// lets go of the returned pointer the peer goes away, as IoServer's stop ends every
  /// connection: that ends the layers' hold on the transport (and so no test leaks it).
  static std::shared_ptr<MemoryTransport> open(std::shared_ptr<MessageComponentInterface> component,
                                               Options options = {}) {
    auto t = std::make_shared<MemoryTransport>(options);
    t->feed_ = std::make_shared<ComponentFeed>(std::move(component));  // as IoServer owns it
    ComponentFeed::open(t->feed_, *t);
    t->poll();
    struct Owner {
      explicit Owner(std::shared_ptr<MemoryTransport> t) : transport(std::move(t)) {}
      ~Owner() { transport->peerCloses(); }
      std::shared_ptr<MemoryTransport> transport;
    };
    auto owner = std::make_shared<Owner>(t);
    return std::shared_ptr<MemoryTransport>(owner, t.get());
  }

  // ---- what a test does ----
  /// The peer sends `bytes`: they are handed up as one read (copied first: layers may
  /// modify them in place), then posted work runs.
  void feed(std::string_view bytes) {
    if (closed_ || finishing_) return;
    std::string copy(bytes);
    received(copy.data(), copy.size());
    poll();
  }
  /// Everything written so far, and takes it (the peer read it).
  std::string take() {
    std::string out = std::move(written_);
    written_.clear();
    return out;
  }
  const std::string& written() const noexcept { return written_; }
  /// While stalled the peer reads nothing: writes stay queued (bufferedAmount grows, the
  /// queue limit applies) until unstall().
  void stall() noexcept { stalled_ = true; }
  void unstall() {
    stalled_ = false;
    written_ += queued_;
    queued_.clear();
    if (finishing_) endWrites();
  }
  /// The peer ends its side (TCP FIN, or a reset): the transport closes.
  void peerCloses() { end(); }
  /// Moves the virtual clock, firing the timer when it falls due, then runs posted work.
  void advance(Duration d) {
    now_ += d;
    if (timerFn_ && now_ >= timerDue_) {
      auto fn = std::move(timerFn_);
      timerFn_ = nullptr;
      fn();
    }
    poll();
  }
  /// Runs the work posted to the "I/O thread".
  void poll() {
    for (int i = 0; i < 10'000 && !posted_.empty(); ++i) {
      auto fn = std::move(posted_.front());
      posted_.pop_front();
      fn();
    }
  }
  /// The server is stopping (IoServer's graceful stop).
  void serverStops() {
    stop();
    poll();
  }
  /// Nothing received for a while (IoServer's sweep).
  void goesQuiet() { quiet(); }

  bool closed() const noexcept { return closed_; }
  /// finish() was called: what was written goes out, then the transport ends its side.
  bool finishing() const noexcept { return finishing_; }
  /// The transport sent everything and ended its side (a FIN).
  bool writesEnded() const noexcept { return writesEnded_; }
  /// Time until the pending timer fires, or nullopt.
  std::optional<Duration> timerIn() const {
    if (!timerFn_) return std::nullopt;
    return std::chrono::duration_cast<Duration>(timerDue_ - now_);
  }

  // ---- Transport ----
  bool write(std::string_view a, std::string_view b, bool force) override {
    const std::size_t n = a.size() + b.size();
    if (closed_ || writesEnded_) return false;
    if (!force && !queued_.empty() && queued_.size() + n > options_.maxQueuedBytes) return false;
    (stalled_ ? queued_ : written_).append(a).append(b);
    return true;
  }
  bool write(std::shared_ptr<const std::string> bytes, bool force) override {
    return write(*bytes, {}, force);
  }
  void finish() override {
    if (closed_ || finishing_) return;
    finishing_ = true;
    setTimer(options_.lingerTimeout, [this] { end(); });
    if (!stalled_) endWrites();
  }
  void abort() override { end(); }  // as TCP's abort on its own I/O thread: at once
  void setTimer(Duration delay, std::function<void()> fn) override {
    if (closed_) return;
    timerDue_ = now_ + delay;
    timerFn_ = std::move(fn);
  }
  void cancelTimer() override { timerFn_ = nullptr; }
  Clock::time_point now() const noexcept override { return now_; }
  bool onIoThread() const noexcept override { return true; }
  void post(std::function<void()> fn) override { posted_.push_back(std::move(fn)); }
  std::size_t bufferedAmount() const noexcept override { return queued_.size(); }
  bool isOpen() const noexcept override { return !closed_ && !finishing_; }

 private:
  void endWrites() { writesEnded_ = true; }
  void end() {
    if (closed_) return;
    closed_ = true;
    timerFn_ = nullptr;
    queued_.clear();
    ended();
    feed_.reset();  // what IoServer owns, not its connections
  }

  Options options_;
  std::shared_ptr<ComponentFeed> feed_;
  std::string written_;  // what the peer has read
  std::string queued_;   // written while stalled
  std::deque<std::function<void()>> posted_;
  Clock::time_point now_{};
  Clock::time_point timerDue_{};
  std::function<void()> timerFn_;
  bool stalled_ = false;
  bool finishing_ = false;
  bool writesEnded_ = false;
  bool closed_ = false;
};

}  // namespace ratchet::detail
