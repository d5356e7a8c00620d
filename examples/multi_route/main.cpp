// Two components on one port: /echo echoes, /count answers each message with a running count.
#include <ratchet/ratchet.hpp>

#include <string>

struct Counter : ratchet::MessageComponentInterface {
  unsigned long messages = 0;  // callbacks are serialised, so a plain counter is safe
  void onOpen(ratchet::ConnectionPtr c) override { c->send("welcome to /count"); }
  void onMessage(ratchet::ConnectionPtr from, const ratchet::Message&) override {
    from->send(std::to_string(++messages));
  }
  void onClose(ratchet::ConnectionPtr) override {}
  void onError(ratchet::ConnectionPtr c, const ratchet::Error&) override { c->close(); }
};

int main() {
  ratchet::App app("localhost", 8080, "0.0.0.0");
  app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
  app.route("/count", std::make_shared<Counter>(), {"*"});
  app.run();
}
