// ratchet-demo: the server the README's first command starts. /echo echoes, /chat relays
// every message to everyone else.

#include <ratchet/ratchet.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <set>
#include <string>
#include <string_view>

namespace {

struct Chat : ratchet::MessageComponentInterface {
  std::set<ratchet::ConnectionPtr> clients;  // callbacks are serialised: no mutex
  void onOpen(ratchet::ConnectionPtr c) override { clients.insert(c); }
  void onMessage(ratchet::ConnectionPtr from, const ratchet::Message& m) override {
    for (auto& c : clients)
      if (c != from) c->send(m);
  }
  void onClose(ratchet::ConnectionPtr c) override { clients.erase(c); }
  void onError(ratchet::ConnectionPtr c, const ratchet::Error& e) override {
    ratchet::log::warn("chat: conn {}: {}", c->id(), e.what());
    c->close();
  }
};

struct Args {
  std::string host = "localhost";
  std::string address = "0.0.0.0";
  unsigned port = 8080;
  unsigned threads = 0;
};

[[noreturn]] void usage(int status) {
  std::fprintf(status ? stderr : stdout,
               "usage: ratchet-demo [--host NAME] [--address ADDR] [--port N] [--threads N]\n"
               "                    [--log-level trace|debug|info|warn|error|off]\n");
  std::exit(status);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view opt = argv[i];
    if (opt == "-h" || opt == "--help") usage(0);
    if (i + 1 >= argc) usage(2);
    const std::string value = argv[++i];
    if (opt == "--host")
      a.host = value;
    else if (opt == "--address")
      a.address = value;
    else if (opt == "--port")
      a.port = static_cast<unsigned>(std::stoul(value));
    else if (opt == "--threads")
      a.threads = static_cast<unsigned>(std::stoul(value));
    else if (opt == "--log-level")
      ratchet::log::setLevel(ratchet::log::parseLevel(value));
    else
      usage(2);
  }
  if (a.port > 65535) usage(2);
  return a;
}

}  // namespace

int main(int argc, char** argv) try {
  const Args args = parse(argc, argv);
  ratchet::AppOptions options;
  options.io.threads = args.threads;
  ratchet::App app(args.host, static_cast<std::uint16_t>(args.port), args.address, options);
  // The demo is reached as localhost and 127.0.0.1 alike; both are allowed browser origins.
  app.route("/chat", std::make_shared<Chat>(), {args.host, "localhost", "127.0.0.1", "[::1]"});
  app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
  std::cout << "ratchet-demo listening on " << args.address << ':' << app.port() << '\n'
            << "  echo: ws://" << args.host << ':' << app.port() << "/echo\n"
            << "  chat: ws://" << args.host << ':' << app.port() << "/chat\n"
            << "Press Ctrl-C to stop." << std::endl;
  app.run();
  return 0;
} catch (const std::exception& e) {
  std::cerr << "ratchet-demo: " << e.what() << '\n';
  return 1;
}
