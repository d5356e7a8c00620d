#pragma once
// The server's CPU time and memory, from /proc/PID/stat and /proc/PID/status.

#include <cstdint>
#include <optional>
#include <string>

namespace bench {

struct ProcSample {
  double cpuSeconds = 0;       // utime + stime, all threads
  std::uint64_t rssBytes = 0;  // VmRSS
};

/// Reads the sample of process `pid`; nullopt if it cannot be read (e.g. the process died).
std::optional<ProcSample> sampleProcess(int pid);

/// The heap in use of a ratchet-bench-server started with --heap-file FILE: sends it SIGUSR1
/// and waits (at most 3 s) for its answer in `file`. nullopt without an answer.
std::optional<std::uint64_t> sampleHeap(int pid, const std::string& file);

}  // namespace bench
