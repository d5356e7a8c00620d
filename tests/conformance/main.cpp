// The conformance binary: doctest's main, plus `--tls-certs=DIR` to run the cases over TLS
// (see conformance.hpp).
#define DOCTEST_CONFIG_IMPLEMENT
#include "conformance.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
  constexpr std::string_view kTlsCerts = "--tls-certs=";
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i > 0 && arg.starts_with(kTlsCerts))
      conf::tlsCertsDir = std::string(arg.substr(kTlsCerts.size()));
    else
      rest.push_back(argv[i]);
  }
  // OpenSSL writes to the socket with write(): a server that has closed must give EPIPE, not
  // end the process.
  if (conf::overTls()) std::signal(SIGPIPE, SIG_IGN);
  doctest::Context context(static_cast<int>(rest.size()), rest.data());
  return context.run();
}
