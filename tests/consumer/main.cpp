// Compiled against an installed ratchet by tests/consumer/run.cmake: proves the installed
// headers, library and CMake package are complete. Builds an App and exits without run().

#include <ratchet/ratchet.hpp>

#include <iostream>
#include <memory>

int main() {
  ratchet::log::setLevel(ratchet::log::parseLevel("warn"));
  ratchet::App app("localhost", 0, "127.0.0.1");  // port 0: any free port, bound right here
  app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
  if (app.port() == 0) {
    std::cerr << "consumer: App did not bind a port\n";
    return 1;
  }
  std::cout << "consumer: ratchet App bound 127.0.0.1:" << app.port() << " with route /echo\n";
  return 0;
}
