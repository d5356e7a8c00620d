// A chat room on ws://localhost:8080/chat, and EchoServer on /echo.
#include "chat.hpp"

int main() {
  ratchet::App app("localhost", 8080, "0.0.0.0");
  app.route("/chat", std::make_shared<Chat>());
  app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
  app.run();  // Ctrl-C stops it gracefully
}
