// The same Chat class, unchanged, as a raw TCP chat: try `nc localhost 9000` twice.
// Each chunk of bytes a client sends reaches Chat::onMessage as it arrives.
#include "../chat/chat.hpp"

int main() {
  auto chat = std::make_shared<Chat>();
  ratchet::IoServer tcp(chat, 9000);
  tcp.run();
  // The same object over WebSocket, built by hand instead of with App:
  //   ratchet::IoServer ws(std::make_shared<ratchet::HttpServer>(
  //       std::make_shared<ratchet::WsServer>(chat)), 8080);
}
