// ratchet-demo: the server the README's first command starts. A browser chat, a command bot,
// an echo endpoint and server push on one port, with the pages served by ratchet itself.

#include "demo.hpp"

#include <ratchet/ratchet.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#ifndef RATCHET_DEMO_WEB_ROOT
#define RATCHET_DEMO_WEB_ROOT "web"
#endif

namespace {

struct Args {
  std::string host = "localhost";
  std::string address = "0.0.0.0";
  unsigned port = 8080;
  unsigned threads = 0;
  demo::Options demo{RATCHET_DEMO_WEB_ROOT, {}};
};

[[noreturn]] void usage(int status) {
  std::fprintf(status ? stderr : stdout,
               "usage: ratchet-demo [--host NAME] [--address ADDR] [--port N] [--threads N]\n"
               "                    [--web-root DIR] [--push-token TOKEN]\n"
               "                    [--log-level trace|debug|info|warn|error|off]\n"
               "POST /push is on only with a token (--push-token or RATCHET_PUSH_TOKEN).\n");
  std::exit(status);
}

Args parse(int argc, char** argv) {
  Args a;
  if (const char* token = std::getenv("RATCHET_PUSH_TOKEN")) a.demo.pushToken = token;
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
    else if (opt == "--web-root")
      a.demo.webRoot = value;
    else if (opt == "--push-token")
      a.demo.pushToken = value;
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
  demo::mount(app, args.demo);
  const std::string base = args.host + ':' + std::to_string(app.port());
  std::cout << "ratchet-demo listening on " << args.address << ':' << app.port() << '\n'
            << "  chat page: http://" << base << "/\n"
            << "  bot page:  http://" << base << "/bot.html\n"
            << "  echo:      ws://" << base << "/echo\n"
            << "  push:      POST http://" << base << "/push"
            << (args.demo.pushToken.empty() ? " (off: no --push-token)\n" : "\n")
            << "Press Ctrl-C to stop." << std::endl;
  app.run();
  return 0;
} catch (const std::exception& e) {
  std::cerr << "ratchet-demo: " << e.what() << '\n';
  return 1;
}
