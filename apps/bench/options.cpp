#include "options.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace bench {
namespace {

constexpr const char* kUsage = R"(usage: ratchet-bench SCENARIO... [options]

Scenarios (one JSON object per scenario):
  echo        N connections keep D messages of S bytes in flight; every echo is checked
  broadcast   1 publisher and N subscribers; the server relays to all other clients
  handshake   C concurrent connectors: connect, upgrade, close handshake, again
  idle        open N connections, measure server RSS per connection, hold, echo once, close

Options:
  --url ws://HOST:PORT/PATH   server (default ws://127.0.0.1:8080/echo); tcp://HOST:PORT
                              implies --raw; wss://HOST:PORT/PATH is TLS (certificate not
                              verified, SNI = HOST unless an IP address, no resumption)
  --host H --port P --path P  the same, piecewise
  --connections N             connections (echo, idle), subscribers (broadcast),
                              concurrent connectors (handshake)        [100]
  --size S                    payload bytes (broadcast: at least 32)   [32]
  --depth D                   echo: messages in flight per connection;
                              broadcast: messages in flight            [1]
  --duration SECONDS          measured time                            [10]
  --warmup SECONDS            unmeasured time before it                [1]
  --hold SECONDS              idle: how long connections are held      [2]
  --threads N                 client threads                           [1]
  --source-addresses N        spread connections over 127.0.0.1..N     [16]
  --binary                    binary messages (default text)
  --payload filler|json       the messages' bytes: hex fields then 'a'..'z' repeated, or
                              compressible JSON-like ticker text (--size >= 64)  [filler]
  --deflate                   offer permessage-deflate (client_max_window_bits) and fail
                              every connection whose server does not agree; messages are
                              compressed (zlib level 1, each on its own) and inflated
  --deflate-client-no-context offer client_no_context_takeover too (implies --deflate)
  --after-message-hold SECONDS
                              idle: after the echo, hold this long and sample the server's
                              RSS again (the memory after one message, once quiet)  [0]
  --raw                       echo over plain TCP (a TCP echo server)
  --server-pid PID            report the server's CPU time and RSS
  --server-heap-file FILE     idle: also the server's heap in use, from a
                              ratchet-bench-server --heap-file FILE (SIGUSR1 to PID)
  --json FILE|-               append one JSON object per scenario
  --label TEXT                copied into the JSON
  --quiet                     no progress lines on stderr
Exit status: 0 when no failure was counted, 1 otherwise, 2 for usage errors.
)";

[[noreturn]] void usage(int status, std::string_view error = {}) {
  if (!error.empty())
    std::fprintf(stderr, "ratchet-bench: %.*s\n", int(error.size()), error.data());
  std::fputs(kUsage, status ? stderr : stdout);
  std::exit(status);
}

void parseUrl(Options& o, std::string_view url) {
  std::string_view rest;
  if (url.starts_with("ws://")) {
    rest = url.substr(5);
  } else if (url.starts_with("wss://")) {
    rest = url.substr(6);
    o.tls = true;
  } else if (url.starts_with("tcp://")) {
    rest = url.substr(6);
    o.raw = true;
  } else {
    usage(2, "--url must start with ws://, wss:// or tcp://");
  }
  const auto slash = rest.find('/');
  const auto hostPort = rest.substr(0, slash);
  o.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  const auto colon = hostPort.rfind(':');
  if (colon == std::string_view::npos) {
    o.host = std::string(hostPort);
    o.port = o.tls ? 443 : 80;
  } else {
    o.host = std::string(hostPort.substr(0, colon));
    o.port = static_cast<std::uint16_t>(std::stoul(std::string(hostPort.substr(colon + 1))));
  }
}

}  // namespace

Options parseOptions(int argc, char** argv) try {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view opt = argv[i];
    if (opt == "-h" || opt == "--help") usage(0);
    if (!opt.starts_with("--")) {
      if (opt != "echo" && opt != "broadcast" && opt != "handshake" && opt != "idle")
        usage(2, "unknown scenario");
      o.scenarios.emplace_back(opt);
      continue;
    }
    if (opt == "--binary") {
      o.binary = true;
      continue;
    }
    if (opt == "--raw") {
      o.raw = true;
      continue;
    }
    if (opt == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (opt == "--deflate" || opt == "--deflate-client-no-context") {
      o.deflate.enabled = true;
      o.deflate.clientNoContextTakeover |= opt == "--deflate-client-no-context";
      continue;
    }
    if (i + 1 >= argc) usage(2, "option needs a value");
    const std::string value = argv[++i];
    if (opt == "--url")
      parseUrl(o, value);
    else if (opt == "--host")
      o.host = value;
    else if (opt == "--port")
      o.port = static_cast<std::uint16_t>(std::stoul(value));
    else if (opt == "--path")
      o.path = value;
    else if (opt == "--connections")
      o.connections = std::stoul(value);
    else if (opt == "--size")
      o.size = std::stoul(value);
    else if (opt == "--depth")
      o.depth = std::stoul(value);
    else if (opt == "--duration")
      o.duration = std::stod(value);
    else if (opt == "--warmup")
      o.warmup = std::stod(value);
    else if (opt == "--hold")
      o.hold = std::stod(value);
    else if (opt == "--after-message-hold")
      o.afterMessageHold = std::stod(value);
    else if (opt == "--payload") {
      if (!parsePayloadKind(value, o.payload)) usage(2, "--payload is filler or json");
    } else if (opt == "--threads")
      o.threads = static_cast<unsigned>(std::stoul(value));
    else if (opt == "--source-addresses")
      o.sourceAddresses = static_cast<unsigned>(std::stoul(value));
    else if (opt == "--server-pid")
      o.serverPid = std::stoi(value);
    else if (opt == "--server-heap-file")
      o.serverHeapFile = value;
    else if (opt == "--json")
      o.json = value;
    else if (opt == "--label")
      o.label = value;
    else
      usage(2, "unknown option");
  }
  if (o.scenarios.empty()) o.scenarios.emplace_back("echo");
  if (o.connections == 0 || o.depth == 0 || o.threads == 0 || o.sourceAddresses == 0 ||
      o.sourceAddresses > 65534)
    usage(2, "--connections, --depth, --threads and --source-addresses must be positive");
  if (o.duration <= 0 || o.warmup < 0 || o.hold < 0) usage(2, "bad --duration/--warmup/--hold");
  if (o.size > 64 * 1024 * 1024) usage(2, "--size is at most 64 MiB");
  if (o.depth > 4096) usage(2, "--depth is at most 4096");
  if (o.size == 0) usage(2, "--size must be positive");
  if (o.raw && o.tls) usage(2, "--raw is plain TCP: not with wss://");
  if (o.raw && o.deflate.enabled) usage(2, "--deflate is a WebSocket extension: not with --raw");
  if (o.payload == PayloadKind::json && o.size < 64) usage(2, "--payload json needs --size >= 64");
  if (o.afterMessageHold < 0) usage(2, "bad --after-message-hold");
  return o;
} catch (const std::logic_error&) {  // std::stoul and friends
  usage(2, "bad number");
}

}  // namespace bench
