// Autobahn section 1, framing: text (1.1) and binary (1.2) messages of every length class of
// RFC 6455 5.2 — 7-bit (0..125), 16-bit (126..65535) and 64-bit (65536 and more) — echoed
// exactly, with the same opcode and a minimal length encoding, whether the client's frame
// arrives in one write or in pieces.

#include "conformance.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace {

using namespace conf;

constexpr std::size_t kLengths[] = {0,   1,   2,    64,    124,   125,   126,
                                    127, 128, 1000, 65535, 65536, 65537, 1 << 20};

std::string payloadOf(std::uint8_t opcode, std::size_t n) {
  return opcode == op::text ? utf8Text(n) : binaryBytes(n, static_cast<unsigned>(n));
}

}  // namespace

TEST_CASE("conformance 1.1-1.2: text and binary of 0 B to 1 MiB echo exactly, one write each") {
  EchoApp app;
  for (const auto opcode : {op::text, op::binary}) {
    CAPTURE(opcodeName(opcode));
    Peer peer(app.port());
    for (const auto n : kLengths) {
      CAPTURE(n);
      const auto payload = payloadOf(opcode, n);
      REQUIRE(peer.write(frame(opcode, payload)));
      REQUIRE(expectMessage(peer, opcode, payload));
    }
    closeCleanly(peer);
  }
}

TEST_CASE("conformance 1.1-1.2: text and binary written byte by byte (997-byte chunks >= 64 KiB)") {
  EchoApp app;
  for (const auto opcode : {op::text, op::binary}) {
    CAPTURE(opcodeName(opcode));
    Peer peer(app.port());
    for (const auto n : kLengths) {
      CAPTURE(n);
      const auto payload = payloadOf(opcode, n);
      const std::size_t chunk = n < 65536 ? 1 : 997;
      CAPTURE(chunk);
      REQUIRE(peer.writeChunked(frame(opcode, payload), chunk));
      REQUIRE(expectMessage(peer, opcode, payload));
    }
    closeCleanly(peer);
  }
}

TEST_CASE("conformance 1.1-1.2: every length pipelined in one write echoes in order") {
  EchoApp app;
  Peer peer(app.port());
  std::string all;
  std::vector<std::pair<std::uint8_t, std::string>> sent;
  for (const auto n : kLengths) {
    for (const auto opcode : {op::text, op::binary}) {
      sent.emplace_back(opcode, payloadOf(opcode, n));
      all += frame(opcode, sent.back().second);
    }
  }
  REQUIRE(peer.write(all));
  for (const auto& [opcode, payload] : sent) {
    CAPTURE(opcodeName(opcode));
    CAPTURE(payload.size());
    REQUIRE(expectMessage(peer, opcode, payload));
  }
  closeCleanly(peer);
}
