// broadcast: one publisher, N subscribers. The publisher's messages carry a sequence
// number and the send time; each subscriber checks it gets every message once, in order,
// byte for byte, and measures the fan-out latency. The publisher keeps at most `depth`
// messages in flight: message k goes out once every subscriber has message k - depth.

#include "payload.hpp"
#include "scenario.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace bench {
namespace {

constexpr std::uint64_t kSyncSeq = ~std::uint64_t{0};  // "are you there" before the run
constexpr std::size_t kMaxHead = 48;                   // the payload's head: seq + timestamp

std::int64_t nanos(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

class Publisher;

struct BroadcastShared {
  BroadcastShared(std::size_t size, std::size_t window, std::size_t subscribers, PayloadKind kind)
      : payload(size, 2, kind),
        wireFiller(payload.tmpl().substr(payload.fieldBytes())),
        window(window),
        subscribers(subscribers),
        delivered(new std::atomic<std::uint32_t>[window]),
        sentAt(new std::atomic<std::int64_t>[window]) {
    applyMask(wireFiller.data(), wireFiller.size(), payload.fieldBytes());
    for (std::size_t i = 0; i < window; ++i) delivered[i] = 0, sentAt[i] = 0;
  }
  Payload payload;
  std::string wireFiller;  // masked; its phase is 0 as the head is a multiple of 4 bytes
  std::size_t window, subscribers;
  std::unique_ptr<std::atomic<std::uint32_t>[]> delivered;  // by seq % window
  std::unique_ptr<std::atomic<std::int64_t>[]> sentAt;      // by seq % window, ns
  std::atomic<std::size_t> synced{0};
  Publisher* publisher = nullptr;
  Worker* publisherWorker = nullptr;
};

class Publisher final : public Connection {
 public:
  Publisher(Worker& w, BroadcastShared& shared, bool binary)
      : Connection(w, 2048),
        shared_(shared),
        heads_((shared.window + 1) * kSlot),
        compressed_(w.target.deflate.enabled ? shared.window + 1 : 0) {
    binary_ = binary;
  }
  void sendSync() {
    syncPending_ = true;
    kickWrite();
  }
  void startSending() {
    sending_ = true;
    kickWrite();
  }
  void stopSending() { sending_ = false; }

 private:
  static constexpr std::size_t kSlot = 64;  // header (14) + the head (<= 48), rounded

  bool add(std::vector<boost::asio::const_buffer>& out, std::size_t slot, std::uint64_t seq,
           std::int64_t sentAt) {
    const Payload& payload = shared_.payload;
    const Opcode op = binary_ ? Opcode::binary : Opcode::text;
    if (deflating()) {  // the whole message, compressed, in a buffer of its own
      std::string& plain = worker_.zlib.plain;
      plain = payload.tmpl();
      payload.writeField(plain.data(), 0, seq);
      payload.writeField(plain.data(), 1, static_cast<std::uint64_t>(sentAt));
      std::string& frame = compressed_[slot];
      frame.clear();
      if (!appendCompressedFrame(frame, op, plain)) return false;
      out.push_back(boost::asio::buffer(frame));
      return true;
    }
    char* head = heads_.data() + slot * kSlot;
    const std::size_t h = writeClientHeader(head, op, payload.size());
    std::memcpy(head + h, payload.tmpl().data(), payload.fieldBytes());
    payload.writeField(head + h, 0, seq);
    payload.writeField(head + h, 1, static_cast<std::uint64_t>(sentAt));
    applyMask(head + h, payload.fieldBytes());
    out.emplace_back(head, h + payload.fieldBytes());
    if (!shared_.wireFiller.empty()) out.push_back(boost::asio::buffer(shared_.wireFiller));
    return true;
  }

  void fillWrite(std::vector<boost::asio::const_buffer>& out, Clock::time_point now) override {
    std::size_t slot = 0;
    if (syncPending_) {
      syncPending_ = false;
      if (!add(out, slot++, kSyncSeq, 0)) return;
    }
    const std::size_t w = shared_.window;
    // At most `window` passes: each takes a slot that the subscribers have completed.
    while (sending_ && slot <= w &&
           (next_ < w || shared_.delivered[next_ % w].load() == shared_.subscribers)) {
      shared_.delivered[next_ % w].store(0);
      shared_.sentAt[next_ % w].store(nanos(now));
      if (!add(out, slot++, next_, nanos(now))) return;
      ++next_;
      worker_.stats.sent.add();
    }
  }
  void onOpen() override {}
  void onFinished(bool) override {}
  void onData(const char*, std::size_t, std::uint64_t) override {
    fail(Failure::wrong_payload, "the publisher got a message (a server must not echo it)");
  }
  void onMessageEnd(Opcode, std::uint64_t) override {}

  BroadcastShared& shared_;
  std::vector<char> heads_;
  std::vector<std::string> compressed_;  // per message of a write, with permessage-deflate
  std::uint64_t next_ = 0;
  bool syncPending_ = false, sending_ = false;
};

class Subscriber final : public Connection {
 public:
  Subscriber(Worker& w, BroadcastShared& shared)
      : Connection(w, std::clamp<std::size_t>(shared.payload.size() * 4, 2048, 65536)),
        shared_(shared) {}

 private:
  void fillWrite(std::vector<boost::asio::const_buffer>&, Clock::time_point) override {}
  void onOpen() override {}
  void onFinished(bool) override {}

  // The head (fields and the fixed bytes between them) is kept for onMessageEnd; the rest
  // is compared with the template as it comes.
  void onData(const char* p, std::size_t n, std::uint64_t offset) override {
    const std::size_t headBytes = shared_.payload.fieldBytes();
    const std::size_t k = offset < headBytes ? std::min<std::size_t>(headBytes - offset, n) : 0;
    std::copy(p, p + k, head_ + offset);
    if (k < n && !shared_.payload.check(p + k, n - k, offset + k, 0))
      fail(Failure::wrong_payload, "broadcast filler bytes differ");
  }

  void onMessageEnd(Opcode, std::uint64_t size) override {
    const Payload& payload = shared_.payload;
    std::uint64_t seq = 0, sentAt = 0;
    if (size != payload.size() || !Payload::readField(head_ + payload.fieldAt(0), seq) ||
        !Payload::readField(head_ + payload.fieldAt(1), sentAt) ||
        !payload.check(head_, payload.fieldBytes(), 0, seq))
      return fail(Failure::wrong_payload, "broadcast message of another size or format");
    if (seq == kSyncSeq) {
      if (next_ > 0) return fail(Failure::wrong_payload, "sync message after data");
      if (!synced_) synced_ = true, shared_.synced.fetch_add(1);
      return;
    }
    const std::size_t slot = seq % shared_.window;
    if (seq != next_) return fail(Failure::wrong_payload, "broadcast message missing or reordered");
    if (static_cast<std::int64_t>(sentAt) != shared_.sentAt[slot].load())
      return fail(Failure::wrong_payload, "broadcast timestamp differs");
    ++next_;
    worker_.stats.messages.add();
    worker_.stats.bytes.add(size);
    if (worker_.runner.measuring())
      worker_.stats.latency.record(
          static_cast<std::uint64_t>(nanos(readTime_) - static_cast<std::int64_t>(sentAt)));
    if (shared_.delivered[slot].fetch_add(1) + 1 == shared_.subscribers) {
      // Its window moved: the publisher may send again.
      boost::asio::post(shared_.publisherWorker->io, [p = shared_.publisher] { p->kickWrite(); });
    }
  }

  BroadcastShared& shared_;
  char head_[kMaxHead] = {};
  std::uint64_t next_ = 0;
  bool synced_ = false;
};

}  // namespace

Result runBroadcast(const Options& o) {
  if (o.size < 32) throw std::invalid_argument("broadcast needs --size of at least 32");
  if (o.raw) throw std::invalid_argument("broadcast needs WebSocket, not --raw");
  Runner runner(o, "broadcast", makeTarget(o));
  BroadcastShared shared(o.size, o.depth, o.connections, o.payload);
  std::vector<std::unique_ptr<Connection>> connections;
  for (std::size_t i = 0; i < o.connections; ++i) {
    Worker& w = runner.workerFor(i);
    connections.push_back(std::make_unique<Subscriber>(w, shared));
    w.add(*connections.back());
  }
  Worker& pw = runner.workerFor(o.connections);
  auto publisher = std::make_unique<Publisher>(pw, shared, o.binary);
  shared.publisher = publisher.get();
  shared.publisherWorker = &pw;
  pw.add(*publisher);
  runner.run();
  openAll(runner);
  // Servers register a client some time after its upgrade: sync messages until all have one.
  bool synced = false;
  for (int i = 0; i < 100 && !synced; ++i) {  // 10 s at most
    boost::asio::post(pw.io, [p = publisher.get()] { p->sendSync(); });
    synced = runner.waitUntil([&] { return shared.synced.load() == o.connections; }, 0.1);
  }
  if (!synced) runner.countFailure(Failure::timeout, "subscribers got no sync message in 10 s");
  boost::asio::post(pw.io, [p = publisher.get()] { p->startSending(); });
  const Measurement m = runner.measure();
  boost::asio::post(pw.io, [p = publisher.get()] { p->stopSending(); });
  if (!runner.waitUntil(
          [&] {
            const Totals t = runner.totals();
            return t.messages == t.sent * o.connections;
          },
          10))
    runner.countFailure(Failure::timeout, "deliveries missing 10 s after the last send");
  closeAll(runner);
  runner.stop();
  Result r = makeResult(o, "broadcast");
  addMeasurement(r, runner, m);
  return r;
}

}  // namespace bench
