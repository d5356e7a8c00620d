#include "proc_probe.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

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

}  // namespace bench
