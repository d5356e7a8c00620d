#include "proc_probe.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace bench {

std::optional<ProcSample> sampleProcess(int pid) {
  if (pid <= 0) return std::nullopt;
  const std::string dir = "/proc/" + std::to_string(pid);
  ProcSample s;
  {
    std::ifstream in(dir + "/stat");
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    // Fields after the command name, which is in parentheses and may contain spaces.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {  // fields 3..15 of proc(5)
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    s.cpuSeconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  {
    std::ifstream in(dir + "/status");
    std::string line;
    for (int i = 0; i < 200 && std::getline(in, line); ++i) {
      if (line.starts_with("VmRSS:")) {
        s.rssBytes = std::stoull(line.substr(6)) * 1024;  // "VmRSS:   1234 kB"
        return s;
      }
    }
  }
  return std::nullopt;
}

namespace {
// The answer in `file`: its count (0: none yet) and bytes.
std::pair<unsigned long long, std::uint64_t> readHeapFile(const std::string& file) {
  std::ifstream in(file);
  unsigned long long n = 0, bytes = 0;
  if (!(in >> n >> bytes)) return {0, 0};
  return {n, bytes};
}
}  // namespace

std::optional<std::uint64_t> sampleHeap(int pid, const std::string& file) {
  if (pid <= 0 || file.empty()) return std::nullopt;
  const auto before = readHeapFile(file).first;
  if (kill(pid, SIGUSR1) != 0) return std::nullopt;
  for (int i = 0; i < 300; ++i) {  // 3 s at most
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto [n, bytes] = readHeapFile(file);
    if (n != before && n != 0) return bytes;
  }
  return std::nullopt;
}

}  // namespace bench
