// Autobahn section 4, reserved opcodes (RFC 6455 5.2): data opcodes 3-7 and control opcodes
// 0xB-0xF mean nothing without an extension; receiving one fails the connection with 1002.
// Every one of them, with and without payload, alone and after a valid frame.

#include "conformance.hpp"

#include <string>
#include <vector>

namespace {

using namespace conf;

constexpr std::uint8_t kReserved[] = {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF};

}  // namespace

TEST_CASE("conformance 4.1-4.2: every reserved opcode fails the connection with 1002") {
  EchoApp app;
  FailureBudget budget;
  bool go = true;
  for (const auto opcode : kReserved) {
    if (!go) break;
    INFO("opcode " << int{opcode});
    struct Case {
      std::string what;
      std::vector<std::string> frames;
      std::vector<Event> expected;
      bool frameWise = false;
    };
    const Case cases[] = {
        // 4.x.1: alone, empty; a message after it is not echoed.
        {"empty", {frame(opcode, ""), frame(op::text, "after")}, {closeWith(1002)}},
        // 4.x.2: alone, with a payload.
        {"with payload",
         {frame(opcode, "reserved opcode payload"), frame(op::text, "after")},
         {closeWith(1002)}},
        // 4.x.3: after a valid message, followed by a ping: echo, then the close, no pong.
        {"after a valid frame, then a ping",
         {frame(op::text, "valid"), frame(opcode, "reserved"), frame(op::ping, "after")},
         {text("valid"), closeWith(1002)}},
        // 4.x.4: the same, frame by frame.
        {"after a valid frame, then a ping, a write per frame",
         {frame(op::text, "valid"), frame(opcode, "reserved"), frame(op::ping, "after")},
         {text("valid"), closeWith(1002)},
         true},
        // 4.x.5: after a valid ping, frame by frame, with a payload and then a message.
        {"after a ping, then a message, a write per frame",
         {frame(op::ping, "ping"), frame(opcode, std::string(64, 'r')), frame(op::text, "no")},
         {pong("ping"), closeWith(1002)},
         true},
        // Between the fragments of a message: the message is never echoed.
        {"between fragments",
         {frame(op::text, "frag", false), frame(opcode, "reserved"),
          frame(op::continuation, "ment")},
         {closeWith(1002)}},
        // Without FIN.
        {"with FIN=0",
         {frame(opcode, "reserved", false), frame(op::continuation, "x")},
         {closeWith(1002)}},
    };
    for (const auto& c : cases) {
      INFO("case: " << c.what);
      Peer peer(app.port());
      if (c.frameWise) {
        peer.writeEach(c.frames);  // may fail once the server has closed; replies count
      } else {
        std::string all;
        for (const auto& f : c.frames) all += f;
        REQUIRE(peer.write(all));
      }
      go = budget.record(expectExactly(peer, c.expected));
      if (!go) break;
    }
  }
  checkStillEchoes(app.port());
}

TEST_CASE("conformance 4: a reserved opcode fails fast, before the frame's payload arrives") {
  EchoApp app;
  for (const auto opcode : kReserved) {
    INFO("opcode " << int{opcode});
    // The frame announces 1000 bytes (data opcodes) or 100 (control); only two bytes come.
    Peer peer(app.port());
    const auto f = frame(opcode, std::string(opcode < 8 ? 1000 : 100, 'x'));
    REQUIRE(peer.write(std::string_view(f).substr(0, 2)));
    if (!expectExactly(peer, {closeWith(1002)}, kFailFastWait)) break;
  }
}
