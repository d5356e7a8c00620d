// The opening handshake (RFC 6455 4.2), where tests/e2e/test_http.cpp leaves gaps: the
// accept value for keys other than the RFC's example, header fields that must appear once,
// and extensions, which a server negotiates only when WsOptions::compression is set (so by
// default RSV1 keeps meaning nothing; permessage-deflate itself: sections 12 and 13).

#include "conformance.hpp"

#include <cctype>
#include <string>

namespace {

using namespace conf;

std::string request(const std::string& extraHeaders,
                    const std::string& key = "dGhlIHNhbXBsZSBub25jZQ==") {
  return "GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: " +
         key + "\r\nSec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n";
}

}  // namespace

TEST_CASE("conformance handshake: Sec-WebSocket-Accept is right for any valid key") {
  EchoApp app;
  // Accept values checked against an independent SHA-1/base64 (Beast's), the first one also
  // against RFC 6455 1.2's own example.
  CHECK(acceptFor("x3JJHMbDL1EzLkh9GBhXDw==") == "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
  for (const std::string key : {"x3JJHMbDL1EzLkh9GBhXDw==", "AAAAAAAAAAAAAAAAAAAAAA==",
                                "/////////////////////w==", "+/+/+/+/+/+/+/+/+/+/+g=="}) {
    CAPTURE(key);
    Peer peer(app.port(), "/echo", Upgrade{key, {}, {}});  // checks the 101 and its accept value
    REQUIRE(peer.write(frame(op::text, key)));
    expectNext(peer, text(key));
    closeCleanly(peer);
  }
}

TEST_CASE("conformance handshake: Sec-WebSocket-Key and -Version must appear once") {
  // RFC 6455 11.3.1 and 11.3.5: neither header may appear more than once in a request; a
  // request that is not a valid handshake gets an HTTP error, never a 101.
  EchoApp app;
  CHECK(test::rawStatus(app.port(), request("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")) ==
        400);
  CHECK(test::rawStatus(app.port(), request("Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n")) ==
        400);
  const int version = test::rawStatus(app.port(), request("Sec-WebSocket-Version: 13\r\n"));
  CAPTURE(version);
  CHECK((version == 400 || version == 426));
  checkStillEchoes(app.port());
}

TEST_CASE("conformance handshake: offered extensions are declined, RSV1 stays a protocol error") {
  // By default (WsOptions::compression empty) a server implements no extension: an offer of
  // permessage-deflate (RFC 7692) must not be accepted, and without it RSV1 has no meaning
  // (RFC 6455 5.2, 9.1).
  EchoApp app;
  for (const std::string offer :
       {"permessage-deflate", "permessage-deflate; client_max_window_bits",
        "permessage-deflate; server_no_context_takeover, x-webkit-deflate-frame",
        "x-unknown-extension"}) {
    CAPTURE(offer);
    Peer peer(
        app.port(), "/echo",
        Upgrade{.extraHeaders = "Sec-WebSocket-Extensions: " + offer + "\r\n", .extensions = {}});
    INFO("response:\n" << peer.responseHead());
    std::string lower = peer.responseHead();
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(lower.find("sec-websocket-extensions") == std::string::npos);
    // Messages go uncompressed both ways.
    REQUIRE(peer.write(frame(op::text, "plain")));
    REQUIRE(expectNext(peer, text("plain")));
    // A "compressed" frame (RSV1) fails the connection.
    REQUIRE(peer.write(frame(op::text, "\xF2\x48\xCD\xC9\xC9\x07\x00", true, 0x4)));
    expectExactly(peer, {closeWith(1002)});
  }
}
