#pragma once
// The scenarios, and what they share: the target and the skeleton of a result.

#include "options.hpp"
#include "report.hpp"
#include "runner.hpp"

namespace bench {

Result runEcho(const Options& o);       // echo, or raw TCP echo with --raw
Result runBroadcast(const Options& o);  // 1 publisher, N subscribers
Result runHandshake(const Options& o);  // connect + upgrade + close, C at a time
Result runIdle(const Options& o);       // RSS per idle connection

/// The server and the connections' framing, from the options.
Target makeTarget(const Options& o, std::size_t rawMessageSize = 0);
/// A result with the run's parameters filled in.
Result makeResult(const Options& o, std::string scenario);
/// Fills in the measurement, the merged latency and the failures of `runner`.
void addMeasurement(Result& r, const Runner& runner, const Measurement& m);
/// Starts every registered connection (paced) and waits, bounded, until each is open or
/// failed; a timeout counts as a failure.
void openAll(Runner& runner);
/// Closes every connection cleanly and waits (bounded) until all attempts ended.
void closeAll(Runner& runner);

}  // namespace bench
