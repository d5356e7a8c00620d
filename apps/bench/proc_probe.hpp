#pragma once
// The server's CPU time and memory, from /proc/PID/stat and /proc/PID/status.

#include <cstdint>
#include <optional>

namespace bench {

struct ProcSample {
  double cpuSeconds = 0;       // utime + stime, all threads
  std::uint64_t rssBytes = 0;  // VmRSS
};

/// Reads the sample of process `pid`; nullopt if it cannot be read (e.g. the process died).
std::optional<ProcSample> sampleProcess(int pid);

}  // namespace bench
