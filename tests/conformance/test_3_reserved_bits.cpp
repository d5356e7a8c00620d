// Autobahn section 3, reserved bits (RFC 6455 5.2): with no extension negotiated, a frame
// with RSV1, RSV2 or RSV3 set fails the connection with 1002. What came before it is still
// answered; nothing after it is.

#include "conformance.hpp"

#include <string>
#include <vector>

namespace {

using namespace conf;

std::string rsvName(std::uint8_t rsv) {
  std::string s;
  if (rsv & 4) s += "RSV1 ";
  if (rsv & 2) s += "RSV2 ";
  if (rsv & 1) s += "RSV3 ";
  return s;
}

/// A frame of each kind with the RSV bits `rsv`, as the frames that make it up (a bad
/// continuation needs the start of a message before it).
struct Kind {
  std::string name;
  std::vector<std::string> (*frames)(std::uint8_t rsv);
};

const Kind kKinds[] = {
    {"text", [](std::uint8_t rsv) { return std::vector{frame(op::text, "Hello", true, rsv)}; }},
    {"empty text", [](std::uint8_t rsv) { return std::vector{frame(op::text, "", true, rsv)}; }},
    {"binary",
     [](std::uint8_t rsv) {
       return std::vector{frame(op::binary, std::string("\0\xFF\x10", 3), true, rsv)};
     }},
    {"first fragment of a text",
     [](std::uint8_t rsv) {
       return std::vector{frame(op::text, "frag", false, rsv), frame(op::continuation, "ment")};
     }},
    {"continuation",
     [](std::uint8_t rsv) {
       return std::vector{frame(op::text, "frag", false),
                          frame(op::continuation, "ment", true, rsv)};
     }},
    {"ping", [](std::uint8_t rsv) { return std::vector{frame(op::ping, "ping", true, rsv)}; }},
    {"pong", [](std::uint8_t rsv) { return std::vector{frame(op::pong, "pong", true, rsv)}; }},
    {"close",
     [](std::uint8_t rsv) { return std::vector{frame(op::close, closePayload(1000), true, rsv)}; }},
};

enum class Mode { oneWrite, frameWise, byteWise };
std::string modeName(Mode m) {
  return m == Mode::oneWrite    ? "one write"
         : m == Mode::frameWise ? "a write per frame"
                                : "byte by byte";
}

bool writeIn(Peer& peer, const std::vector<std::string>& frames, Mode mode) {
  std::string all;
  for (const auto& f : frames) all += f;
  switch (mode) {
    case Mode::oneWrite:
      return peer.write(all);
    case Mode::frameWise:
      return peer.writeEach(frames);
    case Mode::byteWise:
      return peer.writeChunked(all, 1);
  }
  return false;
}

}  // namespace

TEST_CASE("conformance 3.1-3.7: a frame with RSV bits fails the connection with 1002") {
  EchoApp app;
  FailureBudget budget;
  bool go = true;
  for (const auto& kind : kKinds) {
    if (!go) break;
    for (std::uint8_t rsv = 1; rsv <= 7 && go; ++rsv) {
      INFO("frame: " << kind.name << " with " << rsvName(rsv));
      for (const auto mode : {Mode::oneWrite, Mode::frameWise, Mode::byteWise}) {
        INFO("sent in " << modeName(mode));
        // 3.2-3.7: a valid text message first (echoed), the bad frame, then a ping and a
        // message (neither answered).
        {
          std::vector<std::string> frames{frame(op::text, "valid before")};
          for (auto& f : kind.frames(rsv)) frames.push_back(std::move(f));
          frames.push_back(frame(op::ping, "after"));
          frames.push_back(frame(op::text, "after"));
          Peer peer(app.port());
          // A write may fail once the server has closed; what it sent back is what counts.
          writeIn(peer, frames, mode);
          go = budget.record(expectExactly(peer, {text("valid before"), closeWith(1002)}));
          if (!go) break;
        }
        // 3.1: the bad frame first on the connection.
        if (mode == Mode::oneWrite) {
          std::vector<std::string> frames = kind.frames(rsv);
          frames.push_back(frame(op::text, "after"));
          Peer peer(app.port());
          writeIn(peer, frames, mode);
          go = budget.record(expectExactly(peer, {closeWith(1002)}));
          if (!go) break;
        }
      }
    }
  }
  checkStillEchoes(app.port());
}

TEST_CASE("conformance 3: RSV bits fail fast, before the frame's payload arrives") {
  EchoApp app;
  for (std::uint8_t rsv = 1; rsv <= 7; ++rsv) {
    INFO(rsvName(rsv));
    // A binary frame announcing 1000 bytes; only its header is sent.
    Peer peer(app.port());
    const auto f = frame(op::binary, std::string(1000, 'x'), true, rsv);
    REQUIRE(peer.write(std::string_view(f).substr(0, 2)));
    if (!expectExactly(peer, {closeWith(1002)}, kFailFastWait)) break;
  }
}
