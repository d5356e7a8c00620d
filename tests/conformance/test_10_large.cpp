// Autobahn section 10, large messages and fragmentation between the two sides: a message
// the client fragments arrives whole, and a message as large as the default limit allows
// (16 MiB) comes back from the server whole. However the server frames it, the client joins
// its frames (RFC 6455 5.4) and must get every byte.

#include "conformance.hpp"

#include <chrono>
#include <string>

namespace {

using namespace conf;

constexpr std::size_t MiB = 1024 * 1024;

}  // namespace

TEST_CASE("conformance 10.1: a 64 KiB message sent in 1300-byte fragments echoes whole") {
  EchoApp app;
  Peer peer(app.port());
  for (const auto opcode : {op::text, op::binary}) {
    CAPTURE(opcodeName(opcode));
    const auto payload = opcode == op::text ? utf8Text(65536) : binaryBytes(65536);
    REQUIRE(peer.write(fragmented(opcode, payload, 1300)));
    REQUIRE(expectMessage(peer, opcode, payload));
  }
  closeCleanly(peer);
}

TEST_CASE("conformance 10: messages up to the default limit (16 MiB) come back whole") {
  EchoApp app;  // default options
  REQUIRE(ratchet::WsOptions{}.maxMessageBytes == 16 * MiB);
  for (const std::size_t n : {8 * MiB, 16 * MiB}) {
    for (const auto opcode : {op::text, op::binary}) {
      const std::string what = opcodeName(opcode) + " of " + std::to_string(n / MiB) + " MiB";
      INFO(what);
      const auto payload = opcode == op::text ? utf8Text(n) : binaryBytes(n, 3);
      Peer peer(app.port());
      const auto start = Clock::now();
      // Sent in 1 MiB fragments; the echo may come in any number of frames.
      REQUIRE(peer.write(fragmented(opcode, payload, MiB)));
      const bool ok = expectMessage(peer, opcode, payload);
      bench("10 echo of " + what, n, Clock::now() - start);
      if (ok) closeCleanly(peer);
    }
  }
  checkStillEchoes(app.port());
}

TEST_CASE("conformance 10: a 16 MiB echo reaches an independent client (Boost.Beast) intact") {
  EchoApp app;
  const auto payload = binaryBytes(16 * MiB, 9);
  test::WsClient client(app.port());
  const auto start = Clock::now();
  client.sendBinary(payload);
  std::string echo;
  try {
    echo = client.read();
  } catch (const std::exception& e) {
    FAIL_CHECK("no echo: " << std::string(e.what()) << "; close code "
                           << client.stream().reason().code << " '"
                           << std::string(client.stream().reason().reason.c_str()) << "'");
  }
  bench("10 echo of binary of 16 MiB to Beast", payload.size(), Clock::now() - start);
  CHECK(client.lastWasBinary());
  CHECK(echo.size() == payload.size());
  const bool same = echo == payload;  // a bool: doctest would print 16 MiB twice
  CHECK(same);
}
