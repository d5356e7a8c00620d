// ratchet-bench: a load generator for WebSocket servers on loopback. See bench/README.md.

#include "net.hpp"
#include "options.hpp"
#include "scenario.hpp"

#include <csignal>
#include <cstdio>
#include <exception>

int main(int argc, char** argv) try {
  const bench::Options options = bench::parseOptions(argc, argv);
  std::signal(SIGPIPE, SIG_IGN);
  const std::size_t fds = bench::raiseFdLimit();
  if (fds < options.connections + 64)
    std::fprintf(stderr, "ratchet-bench: warning: only %zu file descriptors allowed\n", fds);
  std::uint64_t failures = 0;
  for (const auto& scenario : options.scenarios) {
    const bench::Result r = scenario == "broadcast"   ? bench::runBroadcast(options)
                            : scenario == "handshake" ? bench::runHandshake(options)
                            : scenario == "idle"      ? bench::runIdle(options)
                                                      : bench::runEcho(options);
    bench::printTable(r, options.json == "-" ? stderr : stdout);
    if (!options.json.empty()) bench::writeJson(r, options.json);
    failures += r.failureTotal();
  }
  return failures == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "ratchet-bench: %s\n", e.what());
  return 2;
}
