// The same Chat class as a raw TLS chat: `example_tls_chat CERT KEY [PORT]`, then join twice
// with `openssl s_client -quiet -connect 127.0.0.1:PORT -CAfile ca.pem` and type a line.
#include "../chat/chat.hpp"

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s CERT.pem KEY.pem [PORT]\n", argv[0]);
    return 2;
  }
  ratchet::IoOptions io;
  io.tls = ratchet::TlsOptions{.certificateChainFile = argv[1], .privateKeyFile = argv[2]};
  const auto port = static_cast<std::uint16_t>(argc > 3 ? std::stoi(argv[3]) : 9443);
  ratchet::IoServer tls(std::make_shared<Chat>(), port, "127.0.0.1", io);
  std::printf("tls chat listening on 127.0.0.1:%u\n", static_cast<unsigned>(tls.port()));
  std::fflush(stdout);
  tls.run();  // Ctrl-C stops it gracefully
}
