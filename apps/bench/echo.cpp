#include "echo.hpp"

#include "runner.hpp"
#include "scenario.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

namespace bench {

void awaitEchoes(Runner& runner) {
  const bool done = runner.waitUntil(
      [&] {
        const Totals t = runner.totals();
        return t.sent == t.messages + t.abandoned;
      },
      10);
  if (!done) runner.countFailure(Failure::timeout, "echoes missing 10 s after the last send");
}

EchoShared::EchoShared(std::size_t size, bool websocket, PayloadKind kind)
    : payload(size, 1, kind), wireFiller(payload.tmpl().substr(payload.fieldBytes())) {
  // The filler starts at a multiple of 4, so its mask phase is 0 in every message.
  if (websocket) applyMask(wireFiller.data(), wireFiller.size(), payload.fieldBytes());
}

EchoConnection::EchoConnection(Worker& worker, const EchoShared& shared, std::size_t depth,
                               bool binary, std::uint64_t limit, std::size_t readBufferSize)
    : Connection(worker, readBufferSize),
      shared_(shared),
      depth_(depth),
      limit_(limit),
      heads_(depth * kSlot),
      compressed_(worker.target.deflate.enabled ? depth : 0),
      sentAt_(depth) {
  binary_ = binary;
}

void EchoConnection::startSending() {
  sending_ = true;
  kickWrite();
}

void EchoConnection::fillWrite(std::vector<boost::asio::const_buffer>& out, Clock::time_point now) {
  if (!sending_) return;
  const bool ws = !worker_.target.raw;
  const Payload& payload = shared_.payload;
  const Opcode op = binary_ ? Opcode::binary : Opcode::text;
  for (std::size_t slot = 0; outstanding() < depth_ && (!limit_ || nextSend_ < limit_);
       ++slot) {        // bounded by depth_
    if (deflating()) {  // the whole message, compressed, in a buffer of its own
      std::string& plain = worker_.zlib.plain;
      plain = payload.tmpl();
      payload.writeField(plain.data(), 0, nextSend_);
      std::string& frame = compressed_[slot];
      frame.clear();
      if (!appendCompressedFrame(frame, op, plain)) return;
      out.push_back(boost::asio::buffer(frame));
    } else {  // the head with its fields, then the shared (pre-masked) filler
      char* head = heads_.data() + slot * kSlot;
      std::size_t n = ws ? writeClientHeader(head, op, payload.size()) : 0;
      std::memcpy(head + n, payload.tmpl().data(), payload.fieldBytes());
      payload.writeField(head + n, 0, nextSend_);
      if (ws) applyMask(head + n, payload.fieldBytes());
      n += payload.fieldBytes();
      out.emplace_back(head, n);
      if (!shared_.wireFiller.empty()) out.push_back(boost::asio::buffer(shared_.wireFiller));
    }
    sentAt_[nextSend_ % depth_] = now;
    ++nextSend_;
    worker_.stats.sent.add();
  }
}

void EchoConnection::onData(const char* p, std::size_t n, std::uint64_t offset) {
  if (offset == 0 && outstanding() == 0) return fail(Failure::wrong_payload, "unrequested message");
  if (!shared_.payload.check(p, n, offset, nextReceive_))
    fail(Failure::wrong_payload, "echoed bytes differ");
}

void EchoConnection::onMessageEnd(Opcode type, std::uint64_t size) {
  if (size != shared_.payload.size()) return fail(Failure::wrong_payload, "echo of another size");
  if (!worker_.target.raw && type != (binary_ ? Opcode::binary : Opcode::text))
    return fail(Failure::wrong_payload, "echo of another message type");
  if (outstanding() == 0) return fail(Failure::wrong_payload, "unrequested message");
  worker_.stats.messages.add();
  worker_.stats.bytes.add(size);
  if (worker_.runner.measuring())
    worker_.stats.latency.record(
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       readTime_ - sentAt_[nextReceive_ % depth_])
                                       .count()));
  ++nextReceive_;
}

void EchoConnection::onFinished(bool) {
  worker_.stats.abandoned.add(outstanding());
  nextReceive_ = nextSend_;
}

namespace {

// Enough for `depth` messages of `size` bytes in one read, within 2 KiB .. 64 KiB.
std::size_t readBufferFor(std::size_t size, std::size_t depth) {
  return std::clamp<std::size_t>(depth * (size + 14), 2048, 65536);
}

}  // namespace

Result runEcho(const Options& o) {
  Runner runner(o, o.raw ? "raw-echo" : "echo", makeTarget(o, o.size));
  const EchoShared shared(o.size, !o.raw, o.payload);
  std::vector<std::unique_ptr<EchoConnection>> connections;
  for (std::size_t i = 0; i < o.connections; ++i) {
    Worker& w = runner.workerFor(i);
    connections.push_back(std::make_unique<EchoConnection>(w, shared, o.depth, o.binary, 0,
                                                           readBufferFor(o.size, o.depth)));
    w.add(*connections.back());
  }
  Result r = makeResult(o, o.raw ? "raw-echo" : "echo");
  if (auto s = sampleProcess(o.serverPid)) r.rssBefore = s->rssBytes;
  runner.run();
  openAll(runner);
  runner.onEachWorkerAndWait([](Worker& w) {
    for (Connection* c : w.connections())
      if (c->state() == Connection::State::open) static_cast<EchoConnection*>(c)->startSending();
  });
  const Measurement m = runner.measure();
  if (auto s = sampleProcess(o.serverPid)) r.rssAfter = s->rssBytes;
  runner.onEachWorkerAndWait([](Worker& w) {
    for (Connection* c : w.connections()) static_cast<EchoConnection*>(c)->stopSending();
  });
  awaitEchoes(runner);
  closeAll(runner);
  runner.stop();
  addMeasurement(r, runner, m);
  return r;
}

}  // namespace bench
