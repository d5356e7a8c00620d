// idle: opens N connections, measures the server's RSS before and after, holds them, then
// each sends one message whose echo is checked (they must still be alive), and all close.
// With --after-message-hold, the connections are held that much longer after the echo and
// the RSS is sampled again: the memory of a connection that has had a message and gone
// quiet (permessage-deflate's inflate state lives from a connection's first compressed
// message on, and only while it is active unless the client keeps its context). With
// --server-heap-file, the server's heap in use is sampled as well: before, at the end of
// the hold, and after the message.

#include "echo.hpp"
#include "scenario.hpp"

#include <memory>

namespace bench {

Result runIdle(const Options& o) {
  Runner runner(o, "idle", makeTarget(o, o.size));
  const EchoShared shared(o.size, !o.raw, o.payload);
  std::vector<std::unique_ptr<EchoConnection>> connections;
  for (std::size_t i = 0; i < o.connections; ++i) {
    Worker& w = runner.workerFor(i);
    connections.push_back(std::make_unique<EchoConnection>(w, shared, 1, o.binary, 1, 1024));
    w.add(*connections.back());
  }
  Result r = makeResult(o, "idle");
  if (auto s = sampleProcess(o.serverPid)) r.rssBefore = s->rssBytes;
  r.heapBefore = sampleHeap(o.serverPid, o.serverHeapFile);
  runner.run();
  openAll(runner);
  runner.sleepFor(0.5);  // let the server finish its side of the last upgrades
  if (auto s = sampleProcess(o.serverPid)) r.rssAfter = s->rssBytes;
  runner.setPhase(Phase::measure);
  runner.sleepFor(o.hold);
  // The heap once the connections are quiet (the server gives buffers back then).
  r.heapIdle = sampleHeap(o.serverPid, o.serverHeapFile);
  runner.onEachWorkerAndWait([](Worker& w) {
    for (Connection* c : w.connections())
      if (c->state() == Connection::State::open) static_cast<EchoConnection*>(c)->startSending();
  });
  awaitEchoes(runner);
  if (o.afterMessageHold > 0) {
    runner.sleepFor(o.afterMessageHold);
    if (auto s = sampleProcess(o.serverPid)) r.rssAfterMessage = s->rssBytes;
    r.heapAfterMessage = sampleHeap(o.serverPid, o.serverHeapFile);
  }
  runner.setPhase(Phase::drain);
  const Totals t = runner.totals();
  closeAll(runner);
  runner.stop();
  Measurement m;
  m.seconds = o.hold;
  m.delta = t;
  addMeasurement(r, runner, m);
  return r;
}

}  // namespace bench
