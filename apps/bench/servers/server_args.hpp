#pragma once
// Command line of the reference servers: --port N (0 = ephemeral) --threads N --address A.
// Each server prints "listening on ADDR:PORT" once bound, so scripts can read the port.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace bench {

struct ServerArgs {
  std::string address = "127.0.0.1";
  unsigned port = 0;
  unsigned threads = 1;
};

inline ServerArgs parseServerArgs(int argc, char** argv, const char* name) {
  ServerArgs a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view opt = argv[i];
    if (i + 1 >= argc || (opt != "--port" && opt != "--threads" && opt != "--address")) {
      std::fprintf(stderr, "usage: %s [--address ADDR] [--port N] [--threads N]\n", name);
      std::exit(opt == "-h" || opt == "--help" ? 0 : 2);
    }
    const std::string value = argv[++i];
    if (opt == "--address")
      a.address = value;
    else if (opt == "--port")
      a.port = static_cast<unsigned>(std::stoul(value));
    else
      a.threads = static_cast<unsigned>(std::stoul(value));
  }
  if (a.port > 65535 || a.threads == 0) {
    std::fprintf(stderr, "%s: bad --port or --threads\n", name);
    std::exit(2);
  }
  return a;
}

inline void printListening(const std::string& address, unsigned port) {
  std::printf("listening on %s:%u\n", address.c_str(), port);
  std::fflush(stdout);
}

}  // namespace bench
