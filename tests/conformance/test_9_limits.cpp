// Autobahn section 9, limits and performance: text and binary messages from 64 KiB up to
// the default WsOptions::maxMessageBytes (16 MiB) less one byte, in one frame and in
// fragments of 64 B, 4 KiB, 64 KiB and 4 MiB, echoed intact. Each exchange's time is
// printed as a "[bench]" line; no time is asserted.

#include "conformance.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace {

using namespace conf;

constexpr std::size_t KiB = 1024, MiB = 1024 * 1024;
constexpr std::size_t kDefaultLimit = 16 * MiB;  // WsOptions::maxMessageBytes
constexpr std::size_t kSizes[] = {64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB, kDefaultLimit - 1};

std::string sizeName(std::size_t n) {
  if (n % MiB == 0) return std::to_string(n / MiB) + " MiB";
  if (n == kDefaultLimit - 1) return "16 MiB - 1";
  return std::to_string(n / KiB) + " KiB";
}

std::string payloadOf(std::uint8_t opcode, std::size_t n) {
  return opcode == op::text ? utf8Text(n) : binaryBytes(n, 0x5A);
}

std::string fragmentName(std::size_t f) {
  return f < KiB   ? std::to_string(f) + " B"
         : f < MiB ? std::to_string(f / KiB) + " KiB"
                   : std::to_string(f / MiB) + " MiB";
}

/// Sends one message of `n` bytes as frames of `fragment` bytes (0: one frame) on a new
/// connection, reads the echo and checks it; prints how long the round trip took.
bool roundTrip(std::uint16_t port, std::uint8_t opcode, std::size_t n, std::size_t fragment) {
  const auto payload = payloadOf(opcode, n);
  const auto wire = fragment ? fragmented(opcode, payload, fragment) : frame(opcode, payload);
  const std::string what =
      opcodeName(opcode) + " " + sizeName(n) +
      (fragment ? " in fragments of " + fragmentName(fragment) : std::string(" in one frame"));
  INFO(what);
  Peer peer(port);
  const auto start = Clock::now();
  const bool written = peer.write(wire);
  CHECK_MESSAGE(written, peer.status());
  const bool ok = written && expectMessage(peer, opcode, payload);
  bench("9 " + what, n, Clock::now() - start);
  if (ok) closeCleanly(peer);
  return ok;
}

}  // namespace

TEST_CASE("conformance 9: the default message limit is 16 MiB") {
  CHECK(ratchet::WsOptions{}.maxMessageBytes == kDefaultLimit);
  CHECK(ratchet::WsOptions{}.maxFrameBytes >= kDefaultLimit);
}

TEST_CASE("conformance 9.1-9.2: text and binary of 64 KiB to 16 MiB - 1 in one frame") {
  EchoApp app;  // default options: the default limits
  for (const auto opcode : {op::text, op::binary})
    for (const auto n : kSizes) roundTrip(app.port(), opcode, n, 0);
}

TEST_CASE("conformance 9.3-9.4: text and binary of 64 KiB to 16 MiB - 1 in fragments") {
  EchoApp app;
  for (const std::size_t fragment : {64 * std::size_t{1}, 4 * KiB, 64 * KiB, 4 * MiB}) {
    for (const auto opcode : {op::text, op::binary}) {
      for (const auto n : kSizes) {
        if (fragment == 64 && n > 1 * MiB) continue;  // 16384 frames per MiB: enough
        CAPTURE(fragmentName(fragment));
        roundTrip(app.port(), opcode, n, fragment);
      }
    }
  }
}

TEST_CASE("conformance 9: a message over the default limit (16 MiB + 1) closes with 1009") {
  EchoApp app;
  {
    INFO("one frame of 16 MiB + 1: refused at its header, before the payload");
    Peer peer(app.port());
    const std::string head = encodeFrame(op::binary, "", true, 0, kDefaultLimit + 1);
    REQUIRE(peer.write(head + std::string(1000, 'x')));
    expectExactly(peer, {closeWith(1009)}, kFailFastWait);
  }
  {
    INFO("16 fragments of 1 MiB, then one of 1 byte");
    Peer peer(app.port());
    const auto mib = binaryBytes(MiB);
    std::string wire;
    for (int i = 0; i < 16; ++i) wire += frame(i == 0 ? op::binary : op::continuation, mib, false);
    wire += frame(op::continuation, "x") + frame(op::text, "after");
    peer.write(wire);  // may fail once the server has closed
    expectExactly(peer, {closeWith(1009)});
  }
  checkStillEchoes(app.port());
}
