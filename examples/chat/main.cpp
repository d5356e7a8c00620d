// A chat room on ws://localhost:8080/chat; EchoServer on /echo.
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
  ratchet::App app("localhost", 8080, "0.0.0.0");
  app.route("/chat", std::make_shared<Chat>());
  app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
  app.run();
}
