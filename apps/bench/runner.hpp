#pragma once
// The client threads and the timeline of a scenario: workers (one io_context and thread
// each, with their own connections and statistics), phases, bounded waits with a progress
// line per second, and the measured window with the server's CPU time.

#include "connection.hpp"
#include "options.hpp"
#include "proc_probe.hpp"
#include "stats.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace bench {

enum class Phase { setup, warmup, measure, drain };

class Runner;

class Worker {
 public:
  Worker(Runner& runner, const Target& target, std::size_t index);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  boost::asio::io_context io{1};
  ThreadStats stats;
  ThreadZlib zlib;  // permessage-deflate: this thread's zlib streams
  Runner& runner;
  const Target& target;
  const std::size_t index;  // among the runner's workers

  /// Watches `c` for timeouts. Connections stay registered for the whole run.
  void add(Connection& c) { connections_.push_back(&c); }
  /// Starts `c` now, or when fewer than kMaxConnecting connects of this worker are under
  /// way (servers have finite listen backlogs).
  void startPaced(Connection& c, std::size_t source);
  /// A paced connection finished connecting (either way): start the next.
  void connectDone();
  std::size_t connectionCount() const noexcept { return connections_.size(); }
  const std::vector<Connection*>& connections() const noexcept { return connections_; }

 private:
  friend class Runner;
  void sweep();

  static constexpr std::size_t kMaxConnecting = 32;
  std::vector<Connection*> connections_;
  std::deque<std::pair<Connection*, std::size_t>> waiting_;
  std::size_t connecting_ = 0;
  boost::asio::steady_timer timer_{io};
  std::thread thread_;
};

/// Sums of all workers' counters at one moment.
struct Totals {
  std::uint64_t messages = 0, bytes = 0, handshakes = 0, sent = 0, abandoned = 0, started = 0,
                connected = 0, finished = 0, failures = 0;
};

/// What happened in the measured window.
struct Measurement {
  double seconds = 0;
  Totals delta;
  std::optional<double> serverCpuSeconds;
};

class Runner {
 public:
  Runner(const Options& options, std::string scenario, Target target);
  ~Runner();  // stops the threads

  const Options& options;
  std::vector<std::unique_ptr<Worker>> workers;

  Worker& workerFor(std::size_t i) { return *workers[i % workers.size()]; }
  void run();   // starts the threads
  void stop();  // stops and joins them
  /// Runs `f(worker)` on each worker's thread.
  void onEachWorker(std::function<void(Worker&)> f);
  /// The same, and waits (bounded) until every worker has run it.
  void onEachWorkerAndWait(const std::function<void(Worker&)>& f);
  /// Runs `f(connection)` for every registered connection, on its worker's thread.
  void onEachConnection(std::function<void(Connection&)> f);

  Phase phase() const noexcept { return phase_.load(std::memory_order_relaxed); }
  bool measuring() const noexcept { return phase() == Phase::measure; }
  void setPhase(Phase p) noexcept { phase_.store(p, std::memory_order_relaxed); }

  Totals totals() const;
  /// Failures by kind over all workers and the runner itself.
  std::array<std::uint64_t, kFailureKinds> failures() const;
  /// Polls `done` every 20 ms, with progress lines, for at most `seconds`; true if it held.
  bool waitUntil(const std::function<bool()>& done, double seconds);
  void sleepFor(double seconds) {
    waitUntil([] { return false; }, seconds);
  }
  /// warmup then measure: the measured window of `options.duration` seconds.
  Measurement measure();
  /// All workers' latency histograms merged (after stop()).
  Histogram latency() const;
  /// Counts a failure that belongs to no connection (e.g. a drain that timed out).
  void countFailure(Failure kind, std::string_view detail);

 private:
  void progress(bool force);
  std::string scenario_;
  Target target_;
  std::atomic<Phase> phase_{Phase::setup};
  Clock::time_point start_ = Clock::now(), lastProgress_ = start_;
  Totals lastTotals_;
  bool running_ = false;
  std::array<std::atomic<std::uint64_t>, kFailureKinds> ownFailures_{};
};

}  // namespace bench
