#pragma once
// Command line of the reference servers: --port N (0 = ephemeral) --threads N --address A,
// and for servers that speak TLS a certificate chain and key option pair (names chosen by
// the server, see TlsFlags). Each server prints "listening on ADDR:PORT" once bound, so
// scripts can read the port.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace bench {

struct ServerArgs {
  std::string address = "127.0.0.1";
  unsigned port = 0;
  unsigned threads = 1;
  std::string certFile;  // PEM certificate chain; empty: no TLS
  std::string keyFile;   // PEM private key
};

/// The TLS options a server takes. Empty names: it takes none (plain servers).
struct TlsFlags {
  const char* cert = nullptr;  // e.g. "--cert"
  const char* key = nullptr;   // e.g. "--key"
  bool required = false;       // a TLS-only server needs both
};

inline ServerArgs parseServerArgs(int argc, char** argv, const char* name, TlsFlags tls = {}) {
  const bool takesTls = tls.cert != nullptr && tls.key != nullptr;
  const auto usage = [&](int status) {
    std::fprintf(stderr, "usage: %s [--address ADDR] [--port N] [--threads N]", name);
    if (takesTls)
      std::fprintf(stderr, tls.required ? " %s FILE %s FILE" : " [%s FILE %s FILE]", tls.cert,
                   tls.key);
    std::fputc('\n', stderr);
    std::exit(status);
  };
  ServerArgs a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view opt = argv[i];
    const bool tlsOpt = takesTls && (opt == tls.cert || opt == tls.key);
    if (i + 1 >= argc || (opt != "--port" && opt != "--threads" && opt != "--address" && !tlsOpt))
      usage(opt == "-h" || opt == "--help" ? 0 : 2);
    const std::string value = argv[++i];
    if (opt == "--address")
      a.address = value;
    else if (opt == "--port")
      a.port = static_cast<unsigned>(std::stoul(value));
    else if (opt == "--threads")
      a.threads = static_cast<unsigned>(std::stoul(value));
    else if (opt == tls.cert)  // only reached for TLS options
      a.certFile = value;
    else
      a.keyFile = value;
  }
  if (a.port > 65535 || a.threads == 0) {
    std::fprintf(stderr, "%s: bad --port or --threads\n", name);
    std::exit(2);
  }
  // Both or neither: a certificate without its key (or the reverse) is a typo, not plain TCP.
  if (takesTls &&
      (a.certFile.empty() != a.keyFile.empty() || (tls.required && a.certFile.empty()))) {
    std::fprintf(stderr, "%s: %s and %s go together%s\n", name, tls.cert, tls.key,
                 tls.required ? " and are required" : "");
    std::exit(2);
  }
  return a;
}

inline void printListening(const std::string& address, unsigned port) {
  std::printf("listening on %s:%u\n", address.c_str(), port);
  std::fflush(stdout);
}

}  // namespace bench
