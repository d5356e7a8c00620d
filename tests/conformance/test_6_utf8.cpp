// Autobahn section 6, UTF-8 (RFC 6455 5.6, 8.1; RFC 3629): text messages must be valid
// UTF-8 as a whole, however they are fragmented. Valid text echoes; invalid text fails the
// connection with 1007 — and fails fast, as soon as the offending byte arrives, not when the
// message or frame ends.

#include "conformance.hpp"

#include <string>
#include <vector>

namespace {

using namespace conf;

struct Sample {
  std::string what;
  std::string bytes;
};

const Sample kValid[] = {
    {"ASCII", "Hello-world!"},
    {"Hello-\xC2\xB5@\xC3\x9F\xC3\xB6\xC3\xA4\xC3\xBC\xC3\xA0\xC3\xA1-UTF-8!!",
     "Hello-\xC2\xB5@\xC3\x9F\xC3\xB6\xC3\xA4\xC3\xBC\xC3\xA0\xC3\xA1-UTF-8!!"},
    {"kosme", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5"},
    {"U+0000", std::string(1, '\0')},
    {"U+007F", "\x7F"},
    {"U+0080 (first 2-byte)", "\xC2\x80"},
    {"U+07FF (last 2-byte)", "\xDF\xBF"},
    {"U+0800 (first 3-byte)", "\xE0\xA0\x80"},
    {"U+D7FF (before the surrogates)", "\xED\x9F\xBF"},
    {"U+E000 (after the surrogates)", "\xEE\x80\x80"},
    {"U+FFFD", "\xEF\xBF\xBD"},
    {"U+FFFE (noncharacter, valid UTF-8)", "\xEF\xBF\xBE"},
    {"U+FFFF", "\xEF\xBF\xBF"},
    {"U+10000 (first 4-byte)", "\xF0\x90\x80\x80"},
    {"U+1F600", "\xF0\x9F\x98\x80"},
    {"U+10FFFF (last)", "\xF4\x8F\xBF\xBF"},
    {"mixed",
     "a\xC2\x80"
     "b\xE2\x82\xAC"
     "c\xF0\x9F\x98\x80"
     "d\xF4\x8F\xBF\xBF"
     "e"},
};

/// Invalid at a byte that can be seen without the end of the message.
const Sample kInvalid[] = {
    {"lone continuation 80", "\x80"},
    {"lone continuation BF", "\xBF"},
    {"two continuations", "\x80\xBF"},
    {"continuation after ASCII",
     "ab\x80"
     "cd"},
    {"continuation after a complete 2-byte", "\xC2\x80\x80"},
    {"overlong C0 80 (U+0000)", "\xC0\x80"},
    {"overlong C0 AF ('/')", "\xC0\xAF"},
    {"overlong C1 BF", "\xC1\xBF"},
    {"overlong E0 80 80", "\xE0\x80\x80"},
    {"overlong E0 80 AF", "\xE0\x80\xAF"},
    {"overlong E0 9F BF", "\xE0\x9F\xBF"},
    {"overlong F0 80 80 80", "\xF0\x80\x80\x80"},
    {"overlong F0 8F BF BF", "\xF0\x8F\xBF\xBF"},
    {"surrogate ED A0 80 (U+D800)", "\xED\xA0\x80"},
    {"surrogate ED AD BF (U+DB7F)", "\xED\xAD\xBF"},
    {"surrogate ED B0 80 (U+DC00)", "\xED\xB0\x80"},
    {"surrogate ED BF BF (U+DFFF)", "\xED\xBF\xBF"},
    {"surrogate pair ED A0 80 ED B0 80", "\xED\xA0\x80\xED\xB0\x80"},
    {"F4 90 80 80 (U+110000)", "\xF4\x90\x80\x80"},
    {"F4 BF BF BF", "\xF4\xBF\xBF\xBF"},
    {"F5 80 80 80", "\xF5\x80\x80\x80"},
    {"F6", "\xF6"},
    {"F7 BF BF BF", "\xF7\xBF\xBF\xBF"},
    {"F8 88 80 80 80 (5-byte form)", "\xF8\x88\x80\x80\x80"},
    {"F9", "\xF9"},
    {"FA", "\xFA"},
    {"FB", "\xFB"},
    {"FC 84 80 80 80 80 (6-byte form)", "\xFC\x84\x80\x80\x80\x80"},
    {"FD", "\xFD"},
    {"FE", "\xFE"},
    {"FF", "\xFF"},
    {"FE FE FF FF", "\xFE\xFE\xFF\xFF"},
    {"2-byte lead, then ASCII",
     "\xC2"
     "A"},
    {"3-byte lead, one continuation, then ASCII", "\xE2\x82("},
    {"4-byte lead, two continuations, then a lead", "\xF0\x9F\x98\xC2\x80"},
    {"kosme, then a surrogate (6.4.1)",
     "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80\x65\x64\x69\x74\x65\x64"},
    {"kosme, then F4 90 80 80 (6.4.2)",
     "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xF4\x90\x80\x80\x65\x64\x69\x74\x65\x64"},
};

/// Invalid only because the message ends inside a sequence.
const Sample kTruncated[] = {
    {"C2 at the end", "\xC2"},
    {"E2 82 at the end", "\xE2\x82"},
    {"E0 A0 at the end", "\xE0\xA0"},
    {"F0 9F 98 at the end", "\xF0\x9F\x98"},
    {"F4 8F at the end", "\xF4\x8F"},
    {"kosme missing its last byte", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE"},
};

/// The frames of a text message of `s`, split before each position in `cuts`.
std::vector<std::string> textFrames(const std::string& s, const std::vector<std::size_t>& cuts) {
  std::vector<std::string> parts;
  std::size_t from = 0;
  for (const auto cut : cuts) parts.push_back(s.substr(from, cut - from)), from = cut;
  parts.push_back(s.substr(from));
  std::vector<std::string> frames;
  for (std::size_t i = 0; i < parts.size(); ++i)
    frames.push_back(frame(i == 0 ? op::text : op::continuation, parts[i], i + 1 == parts.size()));
  return frames;
}

std::string joined(const std::vector<std::string>& frames) {
  std::string all;
  for (const auto& f : frames) all += f;
  return all;
}

/// Every way of sending `s` that these tests use: one frame; two fragments split at every
/// position 0..size; one fragment per byte.
std::vector<std::pair<std::string, std::string>> everySplit(const std::string& s) {
  std::vector<std::pair<std::string, std::string>> ways;
  ways.emplace_back("one frame", frame(op::text, s));
  for (std::size_t cut = 0; cut <= s.size(); ++cut)
    ways.emplace_back("two fragments cut at " + std::to_string(cut), joined(textFrames(s, {cut})));
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < s.size(); ++i) cuts.push_back(i);
  ways.emplace_back("one fragment per byte", joined(textFrames(s, cuts)));
  return ways;
}

}  // namespace

TEST_CASE("conformance 6.1-6.2: valid UTF-8 echoes, whole, split at every byte, byte-wise") {
  EchoApp app;
  Peer peer(app.port());
  for (const auto& sample : kValid) {
    INFO("sample: " << sample.what);
    for (const auto& [how, bytes] : everySplit(sample.bytes)) {
      INFO("sent as " << how);
      REQUIRE(peer.write(bytes));
      REQUIRE(expectNext(peer, text(sample.bytes)));
    }
    // The frame written one byte at a time.
    REQUIRE(peer.writeChunked(frame(op::text, sample.bytes), 1));
    REQUIRE(expectNext(peer, text(sample.bytes)));
  }
  // An empty text message, and an empty one in fragments.
  REQUIRE(peer.write(frame(op::text, "") + joined(textFrames("", {0, 0}))));
  expectNext(peer, text(""));
  expectNext(peer, text(""));
  closeCleanly(peer);
}

TEST_CASE("conformance 6.3-6.21: invalid UTF-8 fails with 1007, in one frame or split anywhere") {
  EchoApp app;
  FailureBudget budget;
  bool go = true;
  const auto run = [&](const Sample& sample) {
    INFO("sample: " << sample.what << " '" << printable(sample.bytes) << "'");
    for (const auto& [how, bytes] : everySplit(sample.bytes)) {
      INFO("sent as " << how);
      // A valid message after the invalid one is not echoed.
      Peer peer(app.port());
      peer.write(bytes + frame(op::text, "after"));
      go = budget.record(expectExactly(peer, {closeWith(1007)}));
      if (!go) return;
    }
    {
      // After a valid message, written byte by byte.
      INFO("after a valid message, byte by byte");
      Peer peer(app.port());
      peer.writeChunked(frame(op::text, "valid") + frame(op::text, sample.bytes), 1);
      go = budget.record(expectExactly(peer, {text("valid"), closeWith(1007)}));
    }
  };
  for (const auto& sample : kInvalid)
    if (go) run(sample);
  for (const auto& sample : kTruncated)
    if (go) run(sample);
  checkStillEchoes(app.port());
}

TEST_CASE("conformance 6: invalid UTF-8 in a binary message is no error") {
  EchoApp app;
  Peer peer(app.port());
  for (const auto& sample : kInvalid) {
    INFO("sample: " << sample.what);
    REQUIRE(peer.write(frame(op::binary, sample.bytes)));
    REQUIRE(expectNext(peer, binary(sample.bytes)));
  }
  closeCleanly(peer);
}

TEST_CASE("conformance 6.4: invalid UTF-8 fails fast, before the rest of the message comes") {
  EchoApp app;
  FailureBudget budget;
  bool go = true;
  for (const auto& sample : kInvalid) {
    if (!go) break;
    INFO("sample: " << sample.what << " '" << printable(sample.bytes) << "'");
    const auto bytes =
        "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5" + sample.bytes;  // kosme + bad
    {
      // The first fragment carries the invalid bytes; the rest of the message never comes.
      INFO("first fragment of a message that is never finished");
      Peer peer(app.port());
      REQUIRE(peer.write(frame(op::text, bytes, false)));
      go = budget.record(expectExactly(peer, {closeWith(1007)}, kFailFastWait));
      if (!go) break;
    }
    {
      // A later fragment carries them; the first was valid.
      INFO("second fragment of a message that is never finished");
      Peer peer(app.port());
      REQUIRE(peer.write(frame(op::text, "valid start", false) +
                         frame(op::continuation, bytes, false)));
      go = budget.record(expectExactly(peer, {closeWith(1007)}, kFailFastWait));
      if (!go) break;
    }
    // A single frame whose header announces more payload than is ever sent, in each length
    // form: 7-bit, 16-bit and 64-bit.
    for (const std::uint64_t announced :
         {std::uint64_t{bytes.size() + 50}, std::uint64_t{1000}, std::uint64_t{100000}}) {
      INFO("one frame announcing " << announced << " bytes, of which " << bytes.size()
                                   << " are sent");
      Peer peer(app.port());
      REQUIRE(peer.write(encodeFrame(op::text, bytes, true, 0, announced)));
      go = budget.record(expectExactly(peer, {closeWith(1007)}, kFailFastWait));
      if (!go) break;
    }
  }
  checkStillEchoes(app.port());
}
