// handshake: C connectors, each in a loop: connect from the next source address, upgrade,
// send close 1000, wait for the server's close and for it to end TCP, and start over.

#include "scenario.hpp"

#include <boost/asio/post.hpp>

#include <memory>
#include <stdexcept>

namespace bench {
namespace {

class Connector final : public Connection {
 public:
  Connector(Worker& w, std::size_t id, std::size_t connectors)
      : Connection(w, 1024), id_(id), connectors_(connectors) {}

  void begin() {
    startedAt_ = Clock::now();
    start(attempts_++ * connectors_ + id_);
  }

 private:
  void onOpen() override { close(); }
  void fillWrite(std::vector<boost::asio::const_buffer>&, Clock::time_point) override {}
  void onData(const char*, std::size_t, std::uint64_t) override {
    fail(Failure::wrong_payload, "a message nobody asked for");
  }
  void onMessageEnd(Opcode, std::uint64_t) override {}
  void onFinished(bool clean) override {
    if (clean) {
      worker_.stats.handshakes.add();
      if (worker_.runner.measuring())
        worker_.stats.latency.record(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - startedAt_)
                .count()));
    }
    if (worker_.runner.phase() != Phase::drain)
      boost::asio::post(worker_.io, [this] { begin(); });  // not from inside our handler
  }

  std::size_t id_, connectors_;
  std::size_t attempts_ = 0;
  Clock::time_point startedAt_;
};

}  // namespace

Result runHandshake(const Options& o) {
  if (o.raw) throw std::invalid_argument("handshake needs WebSocket, not --raw");
  Runner runner(o, "handshake", makeTarget(o));
  std::vector<std::unique_ptr<Connector>> connectors;
  for (std::size_t i = 0; i < o.connections; ++i) {
    Worker& w = runner.workerFor(i);
    connectors.push_back(std::make_unique<Connector>(w, i, o.connections));
    w.add(*connectors.back());
  }
  runner.run();
  runner.onEachWorker([](Worker& w) {
    for (Connection* c : w.connections()) static_cast<Connector*>(c)->begin();
  });
  const Measurement m = runner.measure();  // ends in Phase::drain: connectors stop
  closeAll(runner);
  runner.stop();
  Result r = makeResult(o, "handshake");
  addMeasurement(r, runner, m);
  return r;
}

}  // namespace bench
