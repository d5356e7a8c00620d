#include "runner.hpp"

#include <boost/asio/post.hpp>

#include <cstdio>

namespace bench {
namespace {
constexpr auto kSweepInterval = std::chrono::milliseconds(500);
double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}
const char* phaseName(Phase p) {
  static constexpr const char* names[] = {"setup", "warmup", "measure", "drain"};
  return names[static_cast<int>(p)];
}
}  // namespace

Worker::Worker(Runner& r, const Target& t, std::size_t i) : runner(r), target(t), index(i) {}

void Worker::startPaced(Connection& c, std::size_t source) {
  if (connecting_ >= kMaxConnecting) {
    waiting_.emplace_back(&c, source);
    return;
  }
  ++connecting_;
  c.paced_ = true;
  c.start(source);
}

void Worker::connectDone() {
  --connecting_;
  if (waiting_.empty()) return;
  auto [c, source] = waiting_.front();
  waiting_.pop_front();
  // Posted: this runs inside the finished connection's handler.
  boost::asio::post(io, [this, c = c, source = source] { startPaced(*c, source); });
}

void Worker::sweep() {
  timer_.expires_after(kSweepInterval);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    const auto now = Clock::now();
    for (Connection* c : connections_) c->checkTimeout(now);
    sweep();
  });
}

Runner::Runner(const Options& o, std::string scenario, Target target)
    : options(o), scenario_(std::move(scenario)), target_(std::move(target)) {
  for (unsigned i = 0; i < o.threads; ++i)
    workers.push_back(std::make_unique<Worker>(*this, target_, i));
}

Runner::~Runner() {
  stop();
}

void Runner::run() {
  running_ = true;
  for (auto& w : workers) {
    w->sweep();
    w->thread_ = std::thread([&io = w->io] { io.run(); });
  }
}

void Runner::stop() {
  if (!running_) return;
  running_ = false;
  for (auto& w : workers) w->io.stop();
  for (auto& w : workers) w->thread_.join();
}

void Runner::onEachWorker(std::function<void(Worker&)> f) {
  for (auto& w : workers) boost::asio::post(w->io, [f, &w = *w] { f(w); });
}

void Runner::onEachWorkerAndWait(const std::function<void(Worker&)>& f) {
  auto done = std::make_shared<std::atomic<std::size_t>>(0);
  onEachWorker([f, done](Worker& w) {
    f(w);
    done->fetch_add(1);
  });
  if (!waitUntil([&] { return done->load() == workers.size(); }, 10))
    countFailure(Failure::timeout, "a client thread did not answer in 10 s");
}

void Runner::onEachConnection(std::function<void(Connection&)> f) {
  onEachWorker([f](Worker& w) {
    for (Connection* c : w.connections()) f(*c);
  });
}

Totals Runner::totals() const {
  Totals t;
  for (const auto& w : workers) {
    const ThreadStats& s = w->stats;
    t.messages += s.messages.get();
    t.bytes += s.bytes.get();
    t.handshakes += s.handshakes.get();
    t.sent += s.sent.get();
    t.abandoned += s.abandoned.get();
    t.started += s.started.get();
    t.connected += s.connected.get();
    t.finished += s.finished.get();
  }
  for (auto n : failures()) t.failures += n;
  return t;
}

std::array<std::uint64_t, kFailureKinds> Runner::failures() const {
  std::array<std::uint64_t, kFailureKinds> f{};
  for (std::size_t k = 0; k < kFailureKinds; ++k) {
    f[k] = ownFailures_[k].load(std::memory_order_relaxed);
    for (const auto& w : workers) f[k] += w->stats.failures[k].get();
  }
  return f;
}

void Runner::countFailure(Failure kind, std::string_view detail) {
  ownFailures_[static_cast<std::size_t>(kind)].fetch_add(1, std::memory_order_relaxed);
  std::fprintf(stderr, "ratchet-bench: failure %s: %.*s\n", failureName(kind).data(),
               static_cast<int>(detail.size()), detail.data());
}

void Runner::progress(bool force) {
  const double since = secondsSince(lastProgress_);
  if (options.quiet || (!force && since < 1.0)) return;
  const Totals t = totals();
  std::fprintf(stderr,
               "[%s] %6.1fs %-7s msgs/s %10.0f  handshakes/s %8.0f  open %llu  failures %llu\n",
               scenario_.c_str(), secondsSince(start_), phaseName(phase()),
               static_cast<double>(t.messages - lastTotals_.messages) / since,
               static_cast<double>(t.handshakes - lastTotals_.handshakes) / since,
               static_cast<unsigned long long>(t.started - t.finished),
               static_cast<unsigned long long>(t.failures));
  lastTotals_ = t;
  lastProgress_ = Clock::now();
}

bool Runner::waitUntil(const std::function<bool()>& done, double seconds) {
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(seconds));
  while (Clock::now() < deadline) {  // bounded by the deadline
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    progress(false);
  }
  return done();
}

Measurement Runner::measure() {
  setPhase(Phase::warmup);
  sleepFor(options.warmup);
  const auto cpu0 = sampleProcess(options.serverPid);
  const Totals t0 = totals();
  const auto begin = Clock::now();
  setPhase(Phase::measure);
  sleepFor(options.duration);
  setPhase(Phase::drain);
  Measurement m;
  m.seconds = secondsSince(begin);
  const Totals t1 = totals();
  const auto cpu1 = sampleProcess(options.serverPid);
  m.delta.messages = t1.messages - t0.messages;
  m.delta.bytes = t1.bytes - t0.bytes;
  m.delta.handshakes = t1.handshakes - t0.handshakes;
  m.delta.sent = t1.sent - t0.sent;
  m.delta.failures = t1.failures - t0.failures;
  if (cpu0 && cpu1) m.serverCpuSeconds = cpu1->cpuSeconds - cpu0->cpuSeconds;
  progress(true);
  return m;
}

Histogram Runner::latency() const {
  Histogram h;
  for (const auto& w : workers) h.merge(w->stats.latency);
  return h;
}

}  // namespace bench
