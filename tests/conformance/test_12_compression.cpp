// Autobahn section 12, permessage-deflate (RFC 7692) with the default offer: five kinds of
// payload, each in Autobahn's 18 rows of message size and fragmentation. Every case offers
// `permessage-deflate; client_max_window_bits` to a server with the default
// ratchet::Compression, which must answer exactly `permessage-deflate;
// server_no_context_takeover`; then the client sends deflateMessages messages (Autobahn:
// 1000; --deflate-messages=N, 10 by default) compressed with its context kept between them,
// and every echo must come back compressed (64 bytes and more), each on its own, intact.
//
// Then control frames between compressed fragments, and the protocol violations of a
// compressed stream, each over a real socket: RSV1 where it cannot be (1002), data that does
// not inflate or inflates to invalid UTF-8 (1007, fast), and a message that inflates past
// WsOptions::maxMessageBytes (1009, a zip bomb).

#include "deflate_cases.hpp"

#include <string>
#include <vector>

namespace {

using namespace conf;

// Each made on first use: a CTest run of one case makes only its own.
const Corpus& corpus12(int section) {
  switch (section) {
    case 1: {
      static const Corpus json = jsonCorpus();
      return json;
    }
    case 2: {
      static const Corpus lorem = loremCorpus();
      return lorem;
    }
    case 3: {
      static const Corpus prose = proseCorpus();
      return prose;
    }
    case 4: {
      static const Corpus records = recordCorpus();
      return records;
    }
    default: {
      static const Corpus html = htmlCorpus();
      return html;
    }
  }
}

const Negotiation kDefaultOffer{"permessage-deflate; client_max_window_bits",
                                "permessage-deflate; server_no_context_takeover", 0};

}  // namespace

// One test case per section and row: "conformance 12.<section>.<row>: ...".
#define CONF_CASE_12(row, size, fragment, what, section, title)                                \
  TEST_CASE("conformance 12." #section "." #row ": " title " in messages of " what) {          \
    runDeflateCase("12." #section "." #row, corpus12(section), kDefaultOffer, size, fragment); \
  }

CONF_DEFLATE_ROWS(CONF_CASE_12, 1, "JSON text")
CONF_DEFLATE_ROWS(CONF_CASE_12, 2, "short lorem ipsum text")
CONF_DEFLATE_ROWS(CONF_CASE_12, 3, "English prose")
CONF_DEFLATE_ROWS(CONF_CASE_12, 4, "binary records")
CONF_DEFLATE_ROWS(CONF_CASE_12, 5, "UTF-8 HTML in many scripts")

// ---- protocol violations -------------------------------------------------------------------

namespace {

/// A connection that agreed on permessage-deflate as kDefaultOffer does.
struct Deflating {
  explicit Deflating(std::uint16_t port) : peer(port, "/echo", offering(kDefaultOffer.offer)) {
    REQUIRE(peer.deflate());
  }
  Peer peer;
};

/// `text` compressed by a new client compressor, with a 15-bit window.
std::string compressed(std::string_view text) {
  return ClientDeflater(15, false).compress(text);
}

}  // namespace

TEST_CASE("conformance 12 fragments: control frames between a compressed message's fragments") {
  // RFC 6455 5.4 and RFC 7692 6.1: pings and pongs may come between the fragments of a
  // compressed message, uncompressed; the ping is answered at once, the message echoed whole.
  EchoApp app(deflateOptions());
  Deflating d(app.port());
  const auto message = jsonCorpus().data.substr(0, 3000);
  ClientDeflater stream(15, true);
  const auto z = stream.compress(message);
  REQUIRE(d.peer.write(frame(op::text, z.substr(0, 100), false, 0x4) + frame(op::ping, "one") +
                       frame(op::continuation, z.substr(100, 100), false) +
                       frame(op::pong, "unsolicited") + frame(op::continuation, "", false) +
                       frame(op::continuation, z.substr(200))));
  REQUIRE(expectNext(d.peer, pong("one")));
  REQUIRE(expectMessage(d.peer, op::text, message, true));
  // Uncompressed messages are still read as they are on a connection that agreed.
  const std::string plain(500, 'p');
  REQUIRE(d.peer.write(fragmented(op::text, plain, 100)));
  REQUIRE(expectMessage(d.peer, op::text, plain, true));
  closeCleanly(d.peer);
}

TEST_CASE("conformance 12 violations: RSV1 on a continuation or a control frame fails with 1002") {
  EchoApp app(deflateOptions());
  const auto z = compressed(std::string(200, 'a') + "continued");
  const std::vector<std::pair<const char*, std::string>> bad = {
      {"RSV1 on the continuation of a compressed message",
       frame(op::text, z.substr(0, 4), false, 0x4) +
           frame(op::continuation, z.substr(4), true, 0x4)},
      {"RSV1 on the continuation of an uncompressed message",
       frame(op::text, "plain ", false) + frame(op::continuation, z, true, 0x4)},
      {"RSV1 on a ping", frame(op::ping, "ping", true, 0x4)},
      {"RSV1 on a ping inside a compressed message", frame(op::text, z.substr(0, 4), false, 0x4) +
                                                         frame(op::ping, "ping", true, 0x4) +
                                                         frame(op::continuation, z.substr(4))},
      {"RSV1 on a pong", frame(op::pong, "pong", true, 0x4)},
      {"RSV1 on a close", frame(op::close, closePayload(1000), true, 0x4)},
      {"RSV2 on a compressed text", frame(op::text, z, true, 0x4 | 0x2)},
      {"RSV3 on a compressed text", frame(op::text, z, true, 0x4 | 0x1)},
  };
  for (const auto& [what, bytes] : bad) {
    INFO(what);
    Deflating d(app.port());
    // A compressed message first (echoed), then the bad frames, then a message (not answered).
    const std::string before(100, 'b');
    d.peer.write(d.peer.encodeMessage(op::text, before) + bytes + frame(op::text, "after"));
    if (!expectExactly(d.peer, {text(before), closeWith(1002)})) break;
  }
  checkStillEchoes(app.port());
}

TEST_CASE("conformance 12 violations: compressed data that does not inflate fails with 1007") {
  EchoApp app(deflateOptions());
  std::string finalBlock(64, '\0');  // "abc" as a whole deflate stream, BFINAL set
  {
    z_stream s{};
    REQUIRE(deflateInit2(&s, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>("abc"));
    s.avail_in = 3;
    s.next_out = reinterpret_cast<Bytef*>(finalBlock.data());
    s.avail_out = static_cast<uInt>(finalBlock.size());
    REQUIRE(deflate(&s, Z_FINISH) == Z_STREAM_END);
    finalBlock.resize(s.total_out);
    deflateEnd(&s);
  }
  const std::vector<std::pair<const char*, std::string>> bad = {
      // BFINAL=1 with the reserved block type 11.
      {"a reserved block type", frame(op::binary, std::string("\xff\xff\xff garbage"), true, 0x4)},
      {"a stored block whose length check fails",
       frame(op::binary, std::string("\x00\x05\x00\x00\x00hello", 10), true, 0x4)},
      {"bytes after the final block", frame(op::text, finalBlock + "xyz", true, 0x4)},
      {"a corrupt fragment of a compressed message",
       frame(op::text, compressed("fine so far, "), false, 0x4) +
           frame(op::continuation, "\xff\xff\xff", true)},
  };
  for (const auto& [what, bytes] : bad) {
    INFO(what);
    Deflating d(app.port());
    d.peer.write(bytes + frame(op::text, "after"));
    if (!expectExactly(d.peer, {closeWith(1007)})) break;
  }
  {
    INFO("a client that keeps its context after agreeing not to: its second message refers back");
    Peer peer(app.port(), "/echo", offering("permessage-deflate; client_no_context_takeover"));
    REQUIRE(peer.deflate());
    REQUIRE_FALSE(peer.deflate()->clientContextTakeover);
    ClientDeflater keeps(15, true);
    const auto message = jsonCorpus().data.substr(0, 2000);
    peer.write(frame(op::text, keeps.compress(message), true, 0x4));
    REQUIRE(expectMessage(peer, op::text, message, true));
    peer.write(frame(op::text, keeps.compress(message), true, 0x4));
    expectExactly(peer, {closeWith(1007)});
  }
  {
    INFO("BFINAL alone is valid: the message ends there");
    Deflating d(app.port());
    d.peer.write(frame(op::text, finalBlock, true, 0x4));
    expectNext(d.peer, text("abc"));
    closeCleanly(d.peer);
  }
  checkStillEchoes(app.port());
}

TEST_CASE("conformance 12 violations: compressed text that inflates to invalid UTF-8 fails fast") {
  EchoApp app(deflateOptions());
  // Valid deflate data whose text is invalid from byte 3 on; the rest of the message (the
  // frame's remaining bytes, or the fragments after the first) never comes.
  const auto z = compressed("ok \xC0\xAF and then a good deal more text");
  for (const bool fragmentedMessage : {false, true}) {
    INFO((fragmentedMessage ? "the first fragment of a message"
                            : "a frame announcing 10000 more bytes"));
    Deflating d(app.port());
    REQUIRE(d.peer.write(fragmentedMessage
                             ? frame(op::text, z, false, 0x4)
                             : encodeFrame(op::text, z, true, 0x4, z.size() + 10000)));
    if (!expectExactly(d.peer, {closeWith(1007)}, kFailFastWait)) break;
  }
  {
    INFO("invalid UTF-8 across the fragments of a compressed message");
    Deflating d(app.port());
    // One deflate stream: a 3-byte sequence begun in the first fragment, broken in the second.
    ClientDeflater stream(15, true);
    const auto first = stream.compress("split \xE2\x82");
    const auto second = stream.compress("( is no continuation byte");
    d.peer.write(frame(op::text, first, false, 0x4) + frame(op::continuation, second, true));
    expectExactly(d.peer, {closeWith(1007)});
  }
  {
    INFO("binary is not UTF-8 checked: the same bytes echo");
    Deflating d(app.port());
    const std::string bytes = "ok \xC0\xAF";
    d.peer.write(frame(op::binary, compressed(bytes), true, 0x4));
    expectNext(d.peer, binary(bytes));
    closeCleanly(d.peer);
  }
  checkStillEchoes(app.port());
}

TEST_CASE("conformance 12 violations: a zip bomb past maxMessageBytes fails with 1009") {
  constexpr std::size_t MiB = 1024 * 1024;
  auto options = deflateOptions();
  options.ws.maxMessageBytes = MiB;
  EchoApp app(options);
  const auto bomb = compressed(std::string(16 * MiB, '\0'));
  INFO("16 MiB of zeros compressed to " << bomb.size() << " bytes");
  REQUIRE(bomb.size() < 20 * 1024);
  {
    INFO("the whole bomb in one frame");
    Deflating d(app.port());
    d.peer.write(frame(op::binary, bomb, true, 0x4) + frame(op::text, "after"));
    expectExactly(d.peer, {closeWith(1009)});
  }
  {
    INFO("its first quarter (4 MiB inflated), the frame announcing all of it: fails fast");
    Deflating d(app.port());
    REQUIRE(d.peer.write(encodeFrame(op::binary, std::string_view(bomb).substr(0, bomb.size() / 4),
                                     true, 0x4, bomb.size())));
    expectExactly(d.peer, {closeWith(1009)}, kFailFastWait);
  }
  {
    INFO("in fragments of 1 KiB");
    Deflating d(app.port());
    std::string wire;
    for (std::size_t at = 0; at < bomb.size(); at += 1024)
      wire += frame(at == 0 ? op::binary : op::continuation, bomb.substr(at, 1024),
                    at + 1024 >= bomb.size(), at == 0 ? 0x4 : 0);
    d.peer.write(wire);  // may fail once the server has closed
    expectExactly(d.peer, {closeWith(1009)});
  }
  {
    INFO("a message of exactly the limit still echoes");
    Deflating d(app.port());
    const std::string zeros(MiB, '\0');
    REQUIRE(d.peer.sendMessage(op::binary, zeros));
    expectMessage(d.peer, op::binary, zeros, true);
    closeCleanly(d.peer);
  }
  checkStillEchoes(app.port());
  Deflating other(app.port());
  const auto message = jsonCorpus().data.substr(0, 5000);
  REQUIRE(other.peer.sendMessage(op::text, message));
  expectMessage(other.peer, op::text, message, true);
  closeCleanly(other.peer);
}
