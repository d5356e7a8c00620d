// The same Chat class, unchanged, as a raw TCP chat: try `nc localhost 9000` twice.
#include <ratchet/ratchet.hpp>

#include <set>

struct Chat : ratchet::MessageComponentInterface {
  std::set<ratchet::ConnectionPtr> clients;  // no mutex needed
  void onOpen(ratchet::ConnectionPtr c) override { clients.insert(c); }
  void onMessage(ratchet::ConnectionPtr from, const ratchet::Message& m) override {
    for (auto& c : clients)
      if (c != from) c->send(m);
  }
  void onClose(ratchet::ConnectionPtr c) override { clients.erase(c); }
  void onError(ratchet::ConnectionPtr c, const ratchet::Error&) override { c->close(); }
};

int main() {
  auto chat = std::make_shared<Chat>();
  // Raw TCP: each chunk a client sends reaches onMessage as it arrives.
  ratchet::IoServer tcp(chat, 9000);
  tcp.run();
  // Over WebSocket it would be, with the same object:
  //   ratchet::IoServer ws(std::make_shared<ratchet::HttpServer>(
  //       std::make_shared<ratchet::WsServer>(chat)), 8080);
}
