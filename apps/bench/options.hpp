#pragma once
// ratchet-bench's command line.

#include "deflate.hpp"
#include "payload.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

struct Options {
  std::vector<std::string> scenarios;  // echo, broadcast, handshake, idle
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string path = "/echo";
  std::size_t connections = 100;
  std::size_t size = 32;          // payload bytes
  std::size_t depth = 1;          // messages in flight per connection (echo), window (broadcast)
  double duration = 10;           // seconds measured
  double warmup = 1;              // seconds before measuring
  double hold = 2;                // idle: seconds the connections are held
  double afterMessageHold = 0;    // idle: seconds held after the echo, then RSS again (0: no)
  unsigned threads = 1;           // client threads, one io_context each
  unsigned sourceAddresses = 16;  // 127.0.0.1 .. 127.0.0.N as source addresses
  bool binary = false;            // binary instead of text messages
  bool raw = false;               // echo over plain TCP, no WebSocket
  bool tls = false;               // wss://: WebSocket over TLS
  DeflateOffer deflate;           // --deflate: offer (and require) permessage-deflate
  PayloadKind payload = PayloadKind::filler;  // --payload: the bytes of messages
  int serverPid = 0;                          // sample this process's CPU time and RSS
  std::string serverHeapFile;  // idle: ask the server (--heap-file) for its heap in use
  std::string json;            // file for JSON lines, "-" for stdout, empty for none
  std::string label;           // free text copied into the JSON (e.g. the server's name)
  bool quiet = false;          // no progress lines
};

/// Parses argv; prints usage and exits on error or --help.
Options parseOptions(int argc, char** argv);

}  // namespace bench
