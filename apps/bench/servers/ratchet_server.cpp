// ratchet-bench-server: the ratchet side of the benchmarks. /echo is ratchet::EchoServer,
// /broadcast relays every message to all other clients. No connection limits, any Origin.
// With --tls-cert FILE --tls-key FILE it serves wss:// (AppOptions::tls). permessage-deflate
// (WsOptions::compression) with --deflate (ratchet::Compression's defaults),
// --deflate-takeover (the same with serverContextTakeover) or --deflate-client-context
// (the same with clientNoContextTakeover off); the last two may go together. With --heap-file
// FILE, each SIGUSR1 writes the heap in use to FILE (for ratchet-bench --server-heap-file).

#include "server_args.hpp"

#include <ratchet/ratchet.hpp>

#include <malloc.h>
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

namespace {

// The chat of ratchet's README made thread-safe, so it runs on each connection's own I/O
// thread: a reader lock per message, a writer lock per open/close. The same Message goes to
// every other client, so ratchet frames it once and shares the frame between their queues.
class Broadcast : public ratchet::MessageComponentInterface {
 public:
  void onOpen(ratchet::ConnectionPtr c) override {
    std::unique_lock lock(mutex_);
    clients_.insert(std::move(c));
  }
  void onMessage(ratchet::ConnectionPtr from, const ratchet::Message& m) override {
    std::shared_lock lock(mutex_);
    for (const auto& c : clients_)
      if (c != from) c->send(m);
  }
  void onClose(ratchet::ConnectionPtr c) override {
    std::unique_lock lock(mutex_);
    clients_.erase(c);
  }
  void onError(ratchet::ConnectionPtr c, const ratchet::Error&) override { c->close(); }
  bool isThreadSafe() const noexcept override { return true; }

 private:
  std::shared_mutex mutex_;
  std::unordered_set<ratchet::ConnectionPtr> clients_;
};

// --heap-file FILE: a thread waits for SIGUSR1 and answers each with "N BYTES\n" in FILE
// (written whole, then renamed over it): N counts the answers, BYTES is glibc's heap in use
// (mallinfo2: bytes in use in all arenas plus mmapped chunks), which unlike RSS goes down
// when memory is freed. Called before any other thread starts, so that all inherit the
// blocked signal and only this one takes it.
void startHeapReporter(const std::string& file) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([file, set] {
    for (unsigned long n = 1;; ++n) {  // until the process ends
      int sig = 0;
      if (sigwait(&set, &sig) != 0) return;
      const struct mallinfo2 mi = mallinfo2();
      const std::string tmp = file + ".tmp";
      if (std::FILE* f = std::fopen(tmp.c_str(), "w")) {
        std::fprintf(f, "%lu %zu\n", n, mi.uordblks + mi.hblkhd);
        std::fclose(f);
        std::rename(tmp.c_str(), file.c_str());
      }
    }
  }).detach();
}

}  // namespace

int main(int argc, char** argv) try {
  // The compression and heap flags; the rest goes to parseServerArgs.
  std::optional<ratchet::Compression> compression;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string_view opt = argv[i];
    if (opt == "-h" || opt == "--help")  // parseServerArgs prints the rest and exits
      std::fputs(
          "ratchet-bench-server also takes [--deflate] [--deflate-takeover] "
          "[--deflate-client-context] [--heap-file FILE]\n",
          stderr);
    if (opt == "--heap-file" && i + 1 < argc) {
      startHeapReporter(argv[++i]);
    } else if (opt == "--deflate" || opt == "--deflate-takeover" ||
               opt == "--deflate-client-context") {
      if (!compression) compression.emplace();
      if (opt == "--deflate-takeover") compression->serverContextTakeover = true;
      if (opt == "--deflate-client-context") compression->clientNoContextTakeover = false;
    } else {
      rest.push_back(argv[i]);
    }
  }
  const auto args =
      bench::parseServerArgs(static_cast<int>(rest.size()), rest.data(), "ratchet-bench-server",
                             {.cert = "--tls-cert", .key = "--tls-key"});
  ratchet::AppOptions options;
  options.io.threads = args.threads;
  options.io.maxConnections = 0;  // the benchmarks open up to 100 000 from few addresses
  options.io.maxConnectionsPerIp = 0;
  options.io.backlog = 4096;
  if (!args.certFile.empty()) {  // wss:// on the same routes; OpenSSL's defaults otherwise
    // Member by member: a designated initializer that leaves out the password and the SNI
    // list trips -Wmissing-field-initializers.
    options.tls.emplace();
    options.tls->certificateChainFile = args.certFile;
    options.tls->privateKeyFile = args.keyFile;
  }
  options.ws.compression = compression;
  ratchet::App app("localhost", static_cast<std::uint16_t>(args.port), args.address, options);
  app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
  app.route("/broadcast", std::make_shared<Broadcast>(), {"*"});
  bench::printListening(args.address, app.port());
  app.run();
  return 0;
} catch (const std::exception& e) {
  std::cerr << "ratchet-bench-server: " << e.what() << '\n';
  return 1;
}
