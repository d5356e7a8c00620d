// The smallest WebSocket server: ws://localhost:8080/echo sends every message back.
#include <ratchet/ratchet.hpp>

int main() {
  ratchet::App app("localhost", 8080, "0.0.0.0");
  app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
  app.run();  // Ctrl-C stops it gracefully
}
