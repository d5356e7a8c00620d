// Autobahn section 5, fragmentation (RFC 6455 5.4): a message in any number of fragments,
// some of them empty, is delivered once and whole; control frames may come between the
// fragments and are answered at once; control frames cannot be fragmented; a continuation
// needs a message to continue, and a new message cannot start inside another one.

#include "conformance.hpp"

#include <string>
#include <vector>

namespace {

using namespace conf;

enum class Mode { oneWrite, frameWise, byteWise };
std::string modeName(Mode m) {
  return m == Mode::oneWrite    ? "one write"
         : m == Mode::frameWise ? "a write per frame"
                                : "byte by byte";
}

/// Writes `frames` the way `mode` says. False when a write failed (which is expected once
/// the server has failed the connection).
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

/// The frames of one message with these parts.
std::vector<std::string> messageFrames(std::uint8_t opcode, const std::vector<std::string>& parts) {
  std::vector<std::string> frames;
  for (std::size_t i = 0; i < parts.size(); ++i)
    frames.push_back(frame(i == 0 ? opcode : op::continuation, parts[i], i + 1 == parts.size()));
  return frames;
}

/// `s` cut into `n` parts of nearly equal size.
std::vector<std::string> split(const std::string& s, std::size_t n) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < n; ++i)
    parts.push_back(s.substr(s.size() * i / n, s.size() * (i + 1) / n - s.size() * i / n));
  return parts;
}

struct FailureCase {
  std::string what;
  std::vector<std::string> frames;
  std::vector<Event> expected;
};

/// Runs each case on a new connection in one write and frame by frame: exactly `expected`
/// comes back, then the server closes TCP.
void runFailures(std::uint16_t port, const std::vector<FailureCase>& cases) {
  FailureBudget budget;
  for (const auto& c : cases) {
    INFO("case: " << c.what);
    for (const auto mode : {Mode::oneWrite, Mode::frameWise}) {
      INFO("sent in " << modeName(mode));
      Peer peer(port);
      writeIn(peer, c.frames, mode);  // may fail once the server has closed
      if (!budget.record(expectExactly(peer, c.expected))) return;
    }
  }
}

}  // namespace

TEST_CASE("conformance 5.1-5.2: a fragmented control frame fails the connection with 1002") {
  EchoApp app;
  runFailures(
      app.port(),
      {
          {"ping with FIN=0, then a continuation",
           {frame(op::ping, "fragment1", false), frame(op::continuation, "fragment2")},
           {closeWith(1002)}},
          {"empty ping with FIN=0",
           {frame(op::ping, "", false), frame(op::text, "after")},
           {closeWith(1002)}},
          {"pong with FIN=0, then a continuation",
           {frame(op::pong, "fragment1", false), frame(op::continuation, "fragment2")},
           {closeWith(1002)}},
          {"close with FIN=0, then a continuation",
           {frame(op::close, closePayload(1000), false), frame(op::continuation, "")},
           {closeWith(1002)}},
          {"ping with FIN=0 between the fragments of a text",
           {frame(op::text, "frag", false), frame(op::ping, "p", false),
            frame(op::continuation, "ment")},
           {closeWith(1002)}},
          {"ping with FIN=0 after a valid message",
           {frame(op::text, "valid"), frame(op::ping, "p", false), frame(op::text, "after")},
           {text("valid"), closeWith(1002)}},
      });
  {
    // Fails at the header: the payload of the FIN=0 ping never comes, the close does.
    Peer peer(app.port());
    const auto f = frame(op::ping, std::string(100, 'p'), false);
    REQUIRE(peer.write(std::string_view(f).substr(0, 2)));
    expectExactly(peer, {closeWith(1002)}, kFailFastWait);
  }
  checkStillEchoes(app.port());
}

TEST_CASE("conformance 5.3-5.5: text and binary in 2..64 fragments, some empty, echo once whole") {
  EchoApp app;
  for (const auto mode : {Mode::oneWrite, Mode::frameWise, Mode::byteWise}) {
    INFO("sent in " << modeName(mode));
    std::vector<std::string> frames;
    std::vector<Event> expected;
    for (const auto opcode : {op::text, op::binary}) {
      // 64 bytes; the text has 2-, 3- and 4-byte sequences, so fragments split characters.
      const auto p = opcode == op::text ? utf8Text(64) : binaryBytes(64);
      const std::vector<std::vector<std::string>> splits = {
          split(p, 2),
          split(p, 3),
          split(p, 10),
          split(p, 64),                         // one byte per fragment
          {"", p},                              // first fragment empty
          {p.substr(0, 20), "", p.substr(20)},  // one in the middle
          {p, ""},                              // last one empty
          {"", "", ""},                         // all empty: an empty message
          {"", "", p.substr(0, 5), "", "", p.substr(5), ""},
      };
      for (const auto& parts : splits) {
        for (auto& f : messageFrames(opcode, parts)) frames.push_back(std::move(f));
        std::string whole;
        for (const auto& part : parts) whole += part;
        expected.push_back(opcode == op::text ? text(whole) : binary(whole));
      }
    }
    frames.push_back(frame(op::close, closePayload(1000)));
    expected.push_back(closeWith(1000));
    Peer peer(app.port());
    REQUIRE(writeIn(peer, frames, mode));
    if (!expectExactly(peer, expected)) break;
  }
  checkStillEchoes(app.port());
}

TEST_CASE("conformance 5.6-5.8, 5.19-5.20: control frames between fragments are answered first") {
  EchoApp app;
  for (const auto opcode : {op::text, op::binary}) {
    INFO("message: " << opcodeName(opcode));
    const std::vector<std::string> parts = {"fragment1", "fragment2", "", "fragment4", "fragment5"};
    const std::string whole = "fragment1fragment2fragment4fragment5";
    const auto message = opcode == op::text ? text(whole) : binary(whole);
    const std::string ping125(125, '\x7F');
    // F1, ping, F2, pong (unsolicited), F3 (empty), ping 125 B, F4, ping, F5 (final).
    const std::vector<std::string> frames = {
        frame(opcode, parts[0], false),           frame(op::ping, "ping-1"),
        frame(op::continuation, parts[1], false), frame(op::pong, "unsolicited"),
        frame(op::continuation, parts[2], false), frame(op::ping, ping125),
        frame(op::continuation, parts[3], false), frame(op::ping, ""),
        frame(op::continuation, parts[4], true),
    };
    const std::vector<Event> expected = {pong("ping-1"), pong(ping125), pong(""), message,
                                         closeWith(1000)};
    for (const auto mode : {Mode::oneWrite, Mode::frameWise, Mode::byteWise}) {
      INFO("sent in " << modeName(mode));
      Peer peer(app.port());
      auto all = frames;
      all.push_back(frame(op::close, closePayload(1000)));
      REQUIRE(writeIn(peer, all, mode));
      expectExactly(peer, expected);
    }
    {
      // 5.19/5.20: each pong arrives while the message is still open, before the next
      // fragment is sent.
      INFO("each ping answered before the next fragment is sent");
      Peer peer(app.port());
      REQUIRE(peer.write(frames[0] + frames[1]));
      REQUIRE(expectNext(peer, pong("ping-1")));
      REQUIRE(peer.write(frames[2] + frames[3] + frames[4] + frames[5]));
      REQUIRE(expectNext(peer, pong(ping125)));
      REQUIRE(peer.writeChunked(frames[6] + frames[7], 1));
      REQUIRE(expectNext(peer, pong("")));
      REQUIRE(peer.write(frames[8]));
      REQUIRE(expectNext(peer, message));
      closeCleanly(peer);
    }
  }
  checkStillEchoes(app.port());
}

TEST_CASE("conformance 5.9-5.17: a continuation with no message to continue fails with 1002") {
  EchoApp app;
  runFailures(
      app.port(),
      {
          {"continuation, FIN=1",
           {frame(op::continuation, "non-continuation payload"), frame(op::text, "after")},
           {closeWith(1002)}},
          {"continuation, FIN=0",
           {frame(op::continuation, "non-continuation payload", false), frame(op::text, "after")},
           {closeWith(1002)}},
          {"empty continuation, FIN=1",
           {frame(op::continuation, ""), frame(op::text, "after")},
           {closeWith(1002)}},
          {"continuation, FIN=0, then a text and a continuation (5.16)",
           {frame(op::continuation, "fragment1", false), frame(op::text, "fragment2"),
            frame(op::continuation, "fragment3")},
           {closeWith(1002)}},
          {"continuation, FIN=1, then a fragmented text (5.17)",
           {frame(op::continuation, "fragment1"), frame(op::text, "fragment2", false),
            frame(op::continuation, "fragment3")},
           {closeWith(1002)}},
          {"continuation after a complete message",
           {frame(op::text, "complete"), frame(op::continuation, "more")},
           {text("complete"), closeWith(1002)}},
          {"continuation after a complete fragmented message (5.15)",
           {frame(op::text, "fragment1", false), frame(op::continuation, "fragment2"),
            frame(op::continuation, "fragment3", false), frame(op::text, "fragment4")},
           {text("fragment1fragment2"), closeWith(1002)}},
          {"continuation after a complete fragmented binary",
           {frame(op::binary, "a", false), frame(op::continuation, "b"),
            frame(op::continuation, "c")},
           {binary("ab"), closeWith(1002)}},
          {"continuation after a ping",
           {frame(op::ping, "p"), frame(op::continuation, "c")},
           {pong("p"), closeWith(1002)}},
      });
  checkStillEchoes(app.port());
}

TEST_CASE("conformance 5: a new text or binary frame inside a fragmented message fails with 1002") {
  EchoApp app;
  runFailures(app.port(),
              {
                  {"text FIN=0, then text FIN=1",
                   {frame(op::text, "fragment1", false), frame(op::text, "fragment2")},
                   {closeWith(1002)}},
                  {"text FIN=0, then empty text FIN=1",
                   {frame(op::text, "fragment1", false), frame(op::text, "")},
                   {closeWith(1002)}},
                  {"text FIN=0, then binary FIN=1",
                   {frame(op::text, "fragment1", false), frame(op::binary, "fragment2")},
                   {closeWith(1002)}},
                  {"binary FIN=0, then text FIN=0",
                   {frame(op::binary, "fragment1", false), frame(op::text, "fragment2", false),
                    frame(op::continuation, "end")},
                   {closeWith(1002)}},
                  {"binary FIN=0, then binary FIN=1",
                   {frame(op::binary, "fragment1", false), frame(op::binary, "fragment2")},
                   {closeWith(1002)}},
                  {"text FIN=0, continuation FIN=0, then binary FIN=1",
                   {frame(op::text, "a", false), frame(op::continuation, "b", false),
                    frame(op::binary, "c")},
                   {closeWith(1002)}},
                  {"text FIN=0, ping, then text FIN=1 (the ping does not end the message)",
                   {frame(op::text, "a", false), frame(op::ping, "p"), frame(op::text, "b")},
                   {pong("p"), closeWith(1002)}},
                  {"after a valid message",
                   {frame(op::binary, "valid"), frame(op::text, "a", false), frame(op::text, "b")},
                   {binary("valid"), closeWith(1002)}},
              });
  {
    // Fails at the header of the offending frame, before its payload.
    Peer peer(app.port());
    const auto f = frame(op::text, std::string(1000, 'x'));
    REQUIRE(peer.write(frame(op::text, "open", false) + f.substr(0, 2)));
    expectExactly(peer, {closeWith(1002)}, kFailFastWait);
  }
  checkStillEchoes(app.port());
}
