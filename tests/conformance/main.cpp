// The conformance binary: doctest's main, plus `--tls-certs=DIR` to run the cases over TLS
// and `--deflate-messages=N` for the number of messages of each case of sections 12 and 13
// (see conformance.hpp).
#define DOCTEST_CONFIG_IMPLEMENT
#include "conformance.hpp"

#include <doctest/doctest.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
  constexpr std::string_view kTlsCerts = "--tls-certs=";
  constexpr std::string_view kDeflateMessages = "--deflate-messages=";
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i > 0 && arg.starts_with(kTlsCerts)) {
      conf::tlsCertsDir = std::string(arg.substr(kTlsCerts.size()));
    } else if (i > 0 && arg.starts_with(kDeflateMessages)) {
      const auto n = arg.substr(kDeflateMessages.size());
      std::size_t count = 0;
      const auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), count);
      if (ec != std::errc{} || end != n.data() + n.size() || count == 0) {
        std::fprintf(stderr, "%s: --deflate-messages needs a positive number, not '%.*s'\n",
                     argv[0], static_cast<int>(n.size()), n.data());
        return 2;
      }
      conf::deflateMessages = count;
    } else {
      rest.push_back(argv[i]);
    }
  }
  // OpenSSL writes to the socket with write(): a server that has closed must give EPIPE, not
  // end the process.
  if (conf::overTls()) std::signal(SIGPIPE, SIG_IGN);
  doctest::Context context(static_cast<int>(rest.size()), rest.data());
  return context.run();
}
