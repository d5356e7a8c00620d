// Autobahn section 13, permessage-deflate (RFC 7692) parameters: the seven offers of
// Autobahn's client (accept_no_context_takeover and accept_max_window_bits, that is
// `client_no_context_takeover; client_max_window_bits`, plus what each requests of the
// server), each in Autobahn's 18 rows with JSON text. Every case requires the exact response
// RFC 7692 7.1 allows and this server gives, then echoes deflateMessages messages under the
// parameters agreed: with server_max_window_bits=15 the echoes inflate within 15 bits; an
// offer of server_max_window_bits=8 is declined (zlib cannot compress within 256 bytes, and
// 7.1.2.1 lets a server decline), so 13.3 and 13.5 echo uncompressed; and of 13.7's three
// offers the second is accepted.
//
// Then the server's own settings (ratchet::Compression): its context kept between messages,
// client_no_context_takeover asked of every client, a smaller window, minSize, and no
// extension at all when none is offered or the server has none.

#include "deflate_cases.hpp"

#include <string>
#include <vector>

namespace {

using namespace conf;

constexpr std::string_view kAutobahnOffer =
    "permessage-deflate; client_no_context_takeover; client_max_window_bits";
constexpr std::string_view kNoServerContext =
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

Negotiation negotiation13(int section) {
  const std::string offer(kAutobahnOffer);
  const std::string accepted(kNoServerContext);
  switch (section) {
    case 1:
      return {offer, accepted, 0};
    case 2:
      return {offer + "; server_no_context_takeover", accepted, 0};
    case 3:
      return {offer + "; server_max_window_bits=8", std::nullopt, 0};
    case 4:
      return {offer + "; server_max_window_bits=15", accepted + "; server_max_window_bits=15", 0};
    case 5:
      return {offer + "; server_no_context_takeover; server_max_window_bits=8", std::nullopt, 0};
    case 6:
      return {offer + "; server_no_context_takeover; server_max_window_bits=15",
              accepted + "; server_max_window_bits=15", 0};
    default:
      return {offer + "; server_no_context_takeover; server_max_window_bits=8, " + offer +
                  "; server_no_context_takeover, " + offer,
              accepted, 1};
  }
}

/// Messages of each row in the cases of the server's settings (which Autobahn has not):
/// whatever --deflate-messages says, so that the full run stays Autobahn's 216 cases.
constexpr std::size_t kSettingsMessages = 10;

const Corpus& json() {
  static const Corpus c = jsonCorpus();
  return c;
}

}  // namespace

// One test case per section and row: "conformance 13.<section>.<row>: ...".
#define CONF_CASE_13(row, size, fragment, what, section, title)                              \
  TEST_CASE("conformance 13." #section "." #row ": " title " with JSON messages of " what) { \
    runDeflateCase("13." #section "." #row, json(), negotiation13(section), size, fragment); \
  }

CONF_DEFLATE_ROWS(CONF_CASE_13, 1, "no server parameters")
CONF_DEFLATE_ROWS(CONF_CASE_13, 2, "server_no_context_takeover")
CONF_DEFLATE_ROWS(CONF_CASE_13, 3, "server_max_window_bits=8 declined")
CONF_DEFLATE_ROWS(CONF_CASE_13, 4, "server_max_window_bits=15")
CONF_DEFLATE_ROWS(CONF_CASE_13, 5, "server_no_context_takeover and window 8 declined")
CONF_DEFLATE_ROWS(CONF_CASE_13, 6, "server_no_context_takeover and window 15")
CONF_DEFLATE_ROWS(CONF_CASE_13, 7, "three offers of which the second is accepted")

// ---- the server's settings -----------------------------------------------------------------

namespace {

/// A peer offering `offer`, which the server must answer with exactly `response`.
std::unique_ptr<Peer> negotiate(std::uint16_t port, const std::string& offer,
                                const std::string& response) {
  auto peer = std::make_unique<Peer>(port, "/echo", offering(offer));
  INFO("offer: " << offer);
  CHECK(peer->extensionsResponse() == response);
  REQUIRE(peer->deflate());
  return peer;
}

/// `n` bytes in which every 4 KiB block repeats the first, itself incompressible: a
/// compressor with a window of 4 KiB or more refers back 4096 bytes, one with less cannot.
std::string farRepeats(std::size_t n) {
  Lcg r(13);
  std::string block(4096, '\0');
  for (auto& c : block) c = static_cast<char>(r.next() >> 8);
  std::string s;
  while (s.size() < n) s += block;
  s.resize(n);
  return s;
}

/// Whether `payload` inflates on its own within 2^bits bytes to `want`.
bool inflatesAloneTo(const std::string& payload, int bits, const std::string& want) {
  std::string why;
  const auto out = inflateAlone(payload, bits, why);
  INFO("inflating " << payload.size() << " bytes with a " << bits
                    << "-bit window: " << (out ? "ok" : why));
  return out && *out == want;
}

}  // namespace

TEST_CASE("conformance 13 settings: serverContextTakeover keeps the context between messages") {
  ratchet::Compression keep = clientsKeepContext();
  keep.serverContextTakeover = true;
  EchoApp app(deflateOptions(keep));
  const auto message = json().data.substr(0, 4000);
  {
    INFO("an offer without server_no_context_takeover: the server keeps its context");
    auto peer =
        negotiate(app.port(), "permessage-deflate; client_max_window_bits", "permessage-deflate");
    REQUIRE(peer->deflate()->serverContextTakeover);
    std::vector<std::string> wire;
    for (int i = 0; i < 4; ++i) {
      REQUIRE(peer->sendMessage(op::text, message));
      // Inflated with the context of the messages before: the peer's one inflater.
      REQUIRE(expectMessage(*peer, op::text, message, true));
      wire.push_back(peer->lastCompressed());
    }
    CHECK(inflatesAloneTo(wire[0], 15, message));
    for (std::size_t i = 1; i < wire.size(); ++i) {
      INFO("echo " << i + 1 << ": " << wire[i].size() << " bytes, the first " << wire[0].size());
      // It refers to the one before, so it does not inflate on its own, and is much smaller.
      CHECK_FALSE(inflatesAloneTo(wire[i], 15, message));
      CHECK(wire[i].size() * 4 < wire[0].size());
    }
    closeCleanly(*peer);
  }
  {
    INFO("an offer with server_no_context_takeover: each message on its own, alike");
    auto peer = negotiate(app.port(), "permessage-deflate; server_no_context_takeover",
                          "permessage-deflate; server_no_context_takeover");
    REQUIRE_FALSE(peer->deflate()->serverContextTakeover);
    std::vector<std::string> wire;
    for (int i = 0; i < 3; ++i) {
      REQUIRE(peer->sendMessage(op::text, message));
      REQUIRE(expectMessage(*peer, op::text, message, true));
      wire.push_back(peer->lastCompressed());
    }
    CHECK(wire[1] == wire[0]);
    CHECK(wire[2] == wire[0]);
    closeCleanly(*peer);
  }
  // Autobahn's rows with the context kept: every echo inflates only with the ones before.
  for (const auto& row : kRows) {
    CAPTURE(row.size);
    CAPTURE(row.fragment);
    if (!runDeflateCase("13 context kept", json(), {"permessage-deflate", "permessage-deflate", 0},
                        row.size, row.fragment, keep, kSettingsMessages))
      break;
  }
}

TEST_CASE(
    "conformance 13 settings: clientNoContextTakeover (the default) asks every client not to keep "
    "its context") {
  const ratchet::Compression settings;  // the defaults
  REQUIRE(settings.clientNoContextTakeover);
  EchoApp app(deflateOptions(settings));
  for (const std::string offer :
       {"permessage-deflate", "permessage-deflate; client_max_window_bits",
        "permessage-deflate; server_max_window_bits=12"}) {
    const std::string response = std::string(kNoServerContext) +
                                 (offer.ends_with("=12") ? "; server_max_window_bits=12" : "");
    auto peer = negotiate(app.port(), offer, response);
    CHECK_FALSE(peer->deflate()->clientContextTakeover);
    Messages messages(json());
    for (int i = 0; i < 5; ++i) {
      const auto m = messages.next(3000);
      REQUIRE(peer->sendMessage(op::text, m));
      REQUIRE(expectMessage(*peer, op::text, m, true));
    }
    closeCleanly(*peer);
  }
  for (const auto& row : kRows) {
    CAPTURE(row.size);
    CAPTURE(row.fragment);
    if (!runDeflateCase(
            "13 client no context", json(),
            {"permessage-deflate; client_max_window_bits", std::string(kNoServerContext), 0},
            row.size, row.fragment, settings, kSettingsMessages))
      break;
  }
  {
    INFO("a client that keeps its context all the same fails with 1007");
    auto peer = negotiate(app.port(), "permessage-deflate", std::string(kNoServerContext));
    ClientDeflater keeps(15, true);
    const auto m = json().data.substr(0, 2000);
    peer->write(frame(op::text, keeps.compress(m), true, 0x4));
    REQUIRE(expectMessage(*peer, op::text, m, true));
    peer->write(frame(op::text, keeps.compress(m), true, 0x4));
    expectExactly(*peer, {closeWith(1007)});
  }
}

TEST_CASE("conformance 13 settings: the server compresses within its window") {
  const auto payload = farRepeats(32 * 1024);
  {
    INFO("control: with 15 bits the server refers 4 KiB back, which 10 bits cannot read");
    EchoApp app(deflateOptions());
    auto peer = negotiate(app.port(), "permessage-deflate",
                          "permessage-deflate; server_no_context_takeover");
    REQUIRE(peer->sendMessage(op::binary, payload));
    REQUIRE(expectMessage(*peer, op::binary, payload, true));
    CHECK(inflatesAloneTo(peer->lastCompressed(), 15, payload));
    CHECK_FALSE(inflatesAloneTo(peer->lastCompressed(), 10, payload));
    closeCleanly(*peer);
  }
  ratchet::Compression small = clientsKeepContext();
  small.serverMaxWindowBits = 10;
  EchoApp app(deflateOptions(small));
  {
    INFO("serverMaxWindowBits=10, not announced (not asked for): readable by 10 bits");
    auto peer = negotiate(app.port(), "permessage-deflate; client_max_window_bits",
                          "permessage-deflate; server_no_context_takeover");
    for (int i = 0; i < 3; ++i) {
      REQUIRE(peer->sendMessage(op::binary, payload));
      REQUIRE(expectMessage(*peer, op::binary, payload, true));
      CHECK(inflatesAloneTo(peer->lastCompressed(), 10, payload));
    }
    closeCleanly(*peer);
  }
  for (const auto& [asked, agreed] : {std::pair{12, 10}, std::pair{10, 10}, std::pair{9, 9}}) {
    INFO("asked for server_max_window_bits=" << asked);
    auto peer =
        negotiate(app.port(), "permessage-deflate; server_max_window_bits=" + std::to_string(asked),
                  "permessage-deflate; server_no_context_takeover; server_max_window_bits=" +
                      std::to_string(agreed));
    CHECK(peer->deflate()->serverWindowBits == agreed);
    // The peer inflates every echo within the agreed window.
    REQUIRE(peer->sendMessage(op::binary, payload));
    REQUIRE(expectMessage(*peer, op::binary, payload, true));
    CHECK(inflatesAloneTo(peer->lastCompressed(), agreed, payload));
    closeCleanly(*peer);
  }
  {
    INFO("a default server asked for 9 bits keeps to 9");
    EchoApp app15(deflateOptions());
    auto peer =
        negotiate(app15.port(), "permessage-deflate; server_max_window_bits=9",
                  "permessage-deflate; server_no_context_takeover; server_max_window_bits=9");
    REQUIRE(peer->sendMessage(op::binary, payload));
    REQUIRE(expectMessage(*peer, op::binary, payload, true));
    CHECK(inflatesAloneTo(peer->lastCompressed(), 9, payload));
    closeCleanly(*peer);
  }
  for (const auto& row : kRows) {
    CAPTURE(row.size);
    CAPTURE(row.fragment);
    if (!runDeflateCase(
            "13 window 10", json(),
            {"permessage-deflate; server_max_window_bits=15",
             "permessage-deflate; server_no_context_takeover; server_max_window_bits=10", 0},
            row.size, row.fragment, small, kSettingsMessages))
      break;
  }
}

TEST_CASE("conformance 13 settings: the client's window and offers the RFC allows") {
  EchoApp app(deflateOptions());
  const std::vector<Negotiation> cases = {
      {"permessage-deflate", "permessage-deflate; server_no_context_takeover", 0},
      {"permessage-deflate; client_max_window_bits=9",
       "permessage-deflate; server_no_context_takeover", 0},
      {"permessage-deflate; client_max_window_bits=\"12\"; server_max_window_bits=\"11\"",
       "permessage-deflate; server_no_context_takeover; server_max_window_bits=11", 0},
      {"permessage-deflate;server_max_window_bits=14 ;  client_no_context_takeover",
       std::string(kNoServerContext) + "; server_max_window_bits=14", 0},
      {"permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=9",
       "permessage-deflate; server_no_context_takeover; server_max_window_bits=9", 1},
  };
  for (const auto& c : cases) {
    INFO("offer: " << c.offer);
    auto peer = negotiate(app.port(), c.offer, *c.response);
    CHECK(peer->deflate()->offer == c.accepted);
    // A client that offered a window compresses within it: the server's inflater must read
    // it, messages after messages, with the context kept.
    Messages messages(json());
    for (int i = 0; i < 5; ++i) {
      const auto m = messages.next(20000);
      REQUIRE(peer->sendMessage(op::text, m));
      REQUIRE(expectMessage(*peer, op::text, m, true));
    }
    closeCleanly(*peer);
  }
}

TEST_CASE("conformance 13 settings: messages under minSize go uncompressed") {
  {
    EchoApp app(deflateOptions());
    auto peer = negotiate(app.port(), "permessage-deflate",
                          "permessage-deflate; server_no_context_takeover");
    const std::string text64 = json().data.substr(0, 200);
    for (const std::size_t n : {0, 1, 63, 64, 65, 200}) {
      CAPTURE(n);
      const auto m = text64.substr(0, n);
      for (const bool compress : {true, false}) {  // what the client sends does not matter
        CAPTURE(compress);
        REQUIRE(peer->sendMessage(op::text, m, 0, compress));
        REQUIRE(expectMessage(*peer, op::text, m, n >= 64));
      }
    }
    closeCleanly(*peer);
  }
  {
    ratchet::Compression settings = clientsKeepContext();
    settings.minSize = 1000;
    EchoApp app(deflateOptions(settings));
    auto peer = negotiate(app.port(), "permessage-deflate",
                          "permessage-deflate; server_no_context_takeover");
    for (const std::size_t n : {999, 1000}) {
      const auto m = json().data.substr(0, n);
      REQUIRE(peer->sendMessage(op::binary, m));
      REQUIRE(expectMessage(*peer, op::binary, m, n >= 1000));
    }
    closeCleanly(*peer);
  }
}

TEST_CASE("conformance 13 settings: no extension unless both sides want one") {
  const auto rsv1Fails = [](Peer& peer) {
    CHECK_FALSE(peer.deflate());
    REQUIRE(peer.write(frame(op::text, "plain")));
    REQUIRE(expectNext(peer, text("plain")));
    const std::string big = json().data.substr(0, 1000);  // uncompressed both ways
    REQUIRE(peer.write(frame(op::text, big)));
    REQUIRE(expectMessage(peer, op::text, big, false));
    REQUIRE(peer.write(frame(op::text, ClientDeflater(15, false).compress("hello"), true, 0x4)));
    expectExactly(peer, {closeWith(1002)});
  };
  {
    INFO("a server with compression, a client that offers none");
    EchoApp app(deflateOptions());
    Peer peer(app.port());  // fails if the response names any extension
    CHECK_FALSE(peer.extensionsResponse());
    rsv1Fails(peer);
  }
  {
    INFO("a server without compression (WsOptions::compression empty), the default offer");
    EchoApp app;
    REQUIRE_FALSE(ratchet::WsOptions{}.compression);
    for (const std::string& offer :
         {std::string("permessage-deflate; client_max_window_bits"), std::string(kAutobahnOffer)}) {
      Peer peer(app.port(), "/echo", offering(offer));
      CHECK_FALSE(peer.extensionsResponse());
      rsv1Fails(peer);
    }
  }
  {
    INFO("offers that are invalid or that it declines: none");
    EchoApp app(deflateOptions());
    for (const std::string offer :
         {"permessage-deflate; server_max_window_bits=8", "permessage-deflate; foo",
          "permessage-deflate; server_max_window_bits=16",
          "permessage-deflate; client_max_window_bits=0",
          "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
          "x-webkit-deflate-frame"}) {
      CAPTURE(offer);
      // Sent as a raw header: what Peer offers itself must be valid.
      Peer peer(
          app.port(), "/echo",
          Upgrade{.extraHeaders = "Sec-WebSocket-Extensions: " + offer + "\r\n", .extensions = {}});
      rsv1Fails(peer);
    }
  }
}

// ---- the checks themselves -----------------------------------------------------------------

TEST_CASE("conformance 13 client: the reading of a response is as strict as RFC 7692 7.1") {
  std::string why;
  const auto offers = [&](std::string_view list) {
    const auto elements = parseExtensions(list, why);
    REQUIRE(elements);
    std::vector<DeflateParams> out;
    for (const auto& e : *elements) out.push_back(readDeflateParams(e, false, why).value());
    return out;
  };
  const auto accepts = [&](std::string_view offer, std::string_view response) {
    why.clear();
    const auto a = agreeDeflate(offers(offer), response, why);
    INFO(offer << " -> " << response << ": " << (a ? "accepted" : why));
    return a;
  };
  // Responses RFC 7692 allows.
  CHECK(accepts("permessage-deflate", "permessage-deflate"));
  CHECK(accepts("permessage-deflate", "permessage-deflate; server_no_context_takeover"));
  CHECK(accepts("permessage-deflate", "permessage-deflate; client_no_context_takeover"));
  CHECK(accepts("permessage-deflate", "permessage-deflate; server_max_window_bits=10"));
  CHECK(accepts("permessage-deflate", "permessage-deflate;server_max_window_bits=\"10\"  "));
  CHECK(accepts("permessage-deflate; client_max_window_bits",
                "permessage-deflate; client_max_window_bits=9"));
  CHECK(accepts("permessage-deflate; server_max_window_bits=12",
                "permessage-deflate; server_max_window_bits=12"));
  const auto second = accepts(
      "permessage-deflate; server_max_window_bits=9, permessage-deflate; client_max_window_bits",
      "permessage-deflate; client_max_window_bits=10");
  REQUIRE(second);
  CHECK(second->offer == 1);
  CHECK(second->clientWindowBits == 10);
  const auto promised =
      accepts("permessage-deflate; client_max_window_bits=11; client_no_context_takeover",
              "permessage-deflate");
  REQUIRE(promised);
  CHECK(promised->clientWindowBits == 11);  // the offer's value binds the client
  CHECK_FALSE(promised->clientContextTakeover);
  CHECK(promised->serverContextTakeover);
  // Responses it forbids.
  for (const auto& [offer, response] : std::vector<std::pair<std::string, std::string>>{
           {"permessage-deflate", "permessage-deflate; foo"},
           {"permessage-deflate", "permessage-deflate; server_no_context_takeover=1"},
           {"permessage-deflate", "permessage-deflate; server_max_window_bits"},
           {"permessage-deflate", "permessage-deflate; server_max_window_bits=16"},
           {"permessage-deflate", "permessage-deflate; server_max_window_bits=09"},
           {"permessage-deflate",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover"},
           {"permessage-deflate", "permessage-deflate, permessage-deflate"},
           {"permessage-deflate", "x-webkit-deflate-frame"},
           {"permessage-deflate", "permessage-deflate;"},
           {"permessage-deflate", "permessage-deflate; server_max_window_bits=\"1 0\""},
           {"permessage-deflate", "permessage-deflate; client_max_window_bits=10"},  // not offered
           {"permessage-deflate; client_max_window_bits",
            "permessage-deflate; client_max_window_bits"},  // needs a value
           {"permessage-deflate; client_max_window_bits=10",
            "permessage-deflate; client_max_window_bits=11"},  // larger than offered
           {"permessage-deflate; server_no_context_takeover", "permessage-deflate"},
           {"permessage-deflate; server_max_window_bits=10", "permessage-deflate"},
           {"permessage-deflate; server_max_window_bits=10",
            "permessage-deflate; server_max_window_bits=11"},
       }) {
    CHECK_FALSE(accepts(offer, response));
  }
}

TEST_CASE("conformance 13 client: an inflater of N bits refuses a stream of a larger window") {
  const auto payload = farRepeats(32 * 1024);  // refers 4 KiB back, given the window
  const auto wide = ClientDeflater(15, false).compress(payload);
  const auto narrow = ClientDeflater(10, false).compress(payload);
  CHECK(inflatesAloneTo(wide, 15, payload));
  CHECK(inflatesAloneTo(wide, 12, payload));  // 4 KiB back is just within 12 bits
  CHECK_FALSE(inflatesAloneTo(wide, 11, payload));
  CHECK_FALSE(inflatesAloneTo(wide, 10, payload));
  CHECK(inflatesAloneTo(narrow, 10, payload));
  CHECK(inflatesAloneTo(narrow, 15, payload));
  // A message that refers to the one before does not inflate on its own.
  ClientDeflater keeps(15, true);
  const auto first = keeps.compress(payload.substr(0, 3000));
  const auto again = keeps.compress(payload.substr(0, 3000));
  CHECK(inflatesAloneTo(first, 15, payload.substr(0, 3000)));
  CHECK_FALSE(inflatesAloneTo(again, 15, payload.substr(0, 3000)));
  std::string why;
  ClientInflater kept(15);
  CHECK(kept.inflate(first, why) == payload.substr(0, 3000));
  CHECK(kept.inflate(again, why) == payload.substr(0, 3000));
}
