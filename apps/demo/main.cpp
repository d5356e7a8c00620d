// ratchet-demo: the server the README's first command starts. A browser chat, a command bot,
// an echo endpoint and server push on one port, with the pages served by ratchet itself.

#include "demo.hpp"

#include <ratchet/ratchet.hpp>

#include <pthread.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

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
  std::string tlsCert, tlsKey;
  bool compression = true;
};

[[noreturn]] void usage(int status) {
  std::fprintf(status ? stderr : stdout,
               "usage: ratchet-demo [--host NAME] [--address ADDR] [--port N] [--threads N]\n"
               "                    [--web-root DIR] [--push-token TOKEN]\n"
               "                    [--tls-cert FILE --tls-key FILE] [--no-compression]\n"
               "                    [--log-level trace|debug|info|warn|error|off]\n"
               "POST /push is on only with a token (--push-token or RATCHET_PUSH_TOKEN).\n"
               "With --tls-cert (PEM chain) and --tls-key the port serves https:// and wss://;\n"
               "SIGHUP reads the two files again. WebSocket routes offer permessage-deflate\n"
               "unless --no-compression.\n");
  std::exit(status);
}

Args parse(int argc, char** argv) {
  Args a;
  if (const char* token = std::getenv("RATCHET_PUSH_TOKEN")) a.demo.pushToken = token;
  for (int i = 1; i < argc; ++i) {
    const std::string_view opt = argv[i];
    if (opt == "-h" || opt == "--help") usage(0);
    if (opt == "--no-compression") {
      a.compression = false;
      continue;
    }
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
    else if (opt == "--tls-cert")
      a.tlsCert = value;
    else if (opt == "--tls-key")
      a.tlsKey = value;
    else if (opt == "--log-level")
      ratchet::log::setLevel(ratchet::log::parseLevel(value));
    else
      usage(2);
  }
  if (a.port > 65535) usage(2);
  if (a.tlsCert.empty() != a.tlsKey.empty()) {
    std::fprintf(stderr, "ratchet-demo: --tls-cert and --tls-key go together\n");
    std::exit(2);
  }
  return a;
}

// SIGHUP reloads the certificate (as nginx does), on a thread of its own that waits for it:
// the signal is blocked everywhere else. SIGUSR2 from main ends the thread.
class ReloadOnHangup {
 public:
  explicit ReloadOnHangup(ratchet::App& app) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGHUP);
    sigaddset(&signals_, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);  // before App starts its threads
    thread_ = std::thread([this, &app] {
      for (int signal = 0; sigwait(&signals_, &signal) == 0 && signal == SIGHUP;) app.reloadTls();
    });
  }
  ~ReloadOnHangup() {
    pthread_kill(thread_.native_handle(), SIGUSR2);
    thread_.join();
  }

 private:
  sigset_t signals_;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) try {
  const Args args = parse(argc, argv);
  ratchet::AppOptions options;
  options.io.threads = args.threads;
  if (args.compression) options.ws.compression = ratchet::Compression{};
  const bool tls = !args.tlsCert.empty();
  if (tls)
    options.tls =
        ratchet::TlsOptions{.certificateChainFile = args.tlsCert, .privateKeyFile = args.tlsKey};
  ratchet::App app(args.host, static_cast<std::uint16_t>(args.port), args.address, options);
  demo::mount(app, args.demo);
  std::optional<ReloadOnHangup> reload;
  if (tls) reload.emplace(app);
  const std::string base = args.host + ':' + std::to_string(app.port());
  const char* http = tls ? "https://" : "http://";
  std::cout << "ratchet-demo listening on " << args.address << ':' << app.port()
            << (tls ? " (TLS; SIGHUP reloads the certificate)" : "")
            << (args.compression ? " (permessage-deflate on)\n" : "\n") << "  chat page: " << http
            << base << "/\n"
            << "  bot page:  " << http << base << "/bot.html\n"
            << "  echo:      " << (tls ? "wss://" : "ws://") << base << "/echo\n"
            << "  push:      POST " << http << base << "/push"
            << (args.demo.pushToken.empty() ? " (off: no --push-token)\n" : "\n")
            << "Press Ctrl-C to stop." << std::endl;
  app.run();
  return 0;
} catch (const std::exception& e) {
  std::cerr << "ratchet-demo: " << e.what() << '\n';
  return 1;
}
