// permessage-deflate (RFC 7692): negotiation of every parameter, and the codec, checked
// against zlib used directly as a client would.
#include "codec/permessage_deflate.hpp"
#include "codec/ws_frame.hpp"

#include <zlib.h>

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

using ratchet::Compression;
using ratchet::Request;
using namespace ratchet::detail;

namespace {

Request offering(std::vector<std::string> extensionHeaders) {
  std::vector<Request::Header> h = {{"Host", "localhost"}};
  for (auto& value : extensionHeaders) h.emplace_back("Sec-WebSocket-Extensions", value);
  return Request("GET", "/ws", 11, std::move(h));
}

// The response to `offer` under `settings`; "" when declined.
std::string respond(std::string offer, const Compression& settings = {}) {
  const auto a = negotiateDeflate(offering({std::move(offer)}), settings);
  return a ? a->response : "";
}

// Raw deflate of `text` as a client sends it: sync flush, tail removed.
std::string clientCompress(std::string_view text, int windowBits = 15) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, -windowBits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, text.size()) + 16, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_SYNC_FLUSH) == Z_OK);
  out.resize(z.total_out);
  deflateEnd(&z);
  REQUIRE(out.size() >= 4);
  CHECK(out.substr(out.size() - 4) == std::string("\0\0\xff\xff", 4));
  out.resize(out.size() - 4);
  return out;
}

// Raw inflate of a server's message, the tail put back.
std::string clientInflate(std::string data, int windowBits = 15) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, -windowBits) == Z_OK);
  data.append("\0\0\xff\xff", 4);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int r = inflate(&z, Z_SYNC_FLUSH);
  CHECK((r == Z_OK || r == Z_STREAM_END));
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

// A masked client frame.
std::string clientFrame(WsOpcode op, std::string_view payload, bool fin = true, bool rsv1 = false) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | static_cast<int>(op)));
  const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(0x80 | payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xFF));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>(payload.size() >> (8 * i)));
  }
  f.append(reinterpret_cast<const char*>(mask), 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    f.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
  return f;
}

struct Collect : WsParserHandler {
  std::vector<std::string> messages;
  void onWsMessage(std::string_view p, bool) override { messages.emplace_back(p); }
  void onWsPing(std::string_view) override {}
  void onWsPong(std::string_view) override {}
  void onWsClose(std::uint16_t, std::string_view) override {}
};

// Parses `bytes` with deflate negotiated as `params`, fed `step` bytes at a time.
std::uint16_t parseAll(WsParser& parser, std::string bytes, Collect& out, std::size_t step) {
  for (std::size_t i = 0; i < bytes.size(); i += step)
    if (auto code = parser.parse(bytes.data() + i, std::min(step, bytes.size() - i), out))
      return code;
  return 0;
}

std::string lorem(std::size_t n) {
  const std::string_view words = "lorem ipsum dolor sit amet, consectetur adipiscing elit. ";
  std::string s;
  for (std::size_t i = 0; s.size() < n; ++i) s += words[i % words.size()];
  s.resize(n);
  return s;
}

}  // namespace

TEST_CASE("permessage-deflate: offers are accepted with the parameters RFC 7692 gives") {
  // By default clients are asked not to keep their context.
  CHECK(respond("permessage-deflate") ==
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  Compression c;  // the rest with clients free to keep theirs
  c.clientNoContextTakeover = false;
  CHECK(respond("permessage-deflate", c) == "permessage-deflate; server_no_context_takeover");
  CHECK(respond("permessage-deflate; client_max_window_bits", c) ==
        "permessage-deflate; server_no_context_takeover");
  CHECK(respond("permessage-deflate; server_no_context_takeover; client_no_context_takeover", c) ==
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  CHECK(respond("permessage-deflate; server_max_window_bits=10", c) ==
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=10");
  CHECK(respond("permessage-deflate; server_max_window_bits=\"12\"", c) ==
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=12");
  CHECK(respond("Permessage-Deflate ;  Server_Max_Window_Bits = 15", c) ==
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=15");

  Compression takeover = c;
  takeover.serverContextTakeover = true;
  CHECK(respond("permessage-deflate", takeover) == "permessage-deflate");
  CHECK(respond("permessage-deflate; server_no_context_takeover", takeover) ==
        "permessage-deflate; server_no_context_takeover");
  Compression small = c;
  small.serverMaxWindowBits = 11;
  small.clientNoContextTakeover = true;
  CHECK(respond("permessage-deflate; server_max_window_bits=13", small) ==
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=11");
  CHECK(respond("permessage-deflate; server_max_window_bits=10", small).ends_with("=10"));
}

TEST_CASE("permessage-deflate: agreed parameters") {
  const auto a = negotiateDeflate(
      offering({"permessage-deflate; client_max_window_bits=10; client_no_context_takeover"}), {});
  REQUIRE(a);
  CHECK(a->params.clientWindowBits == 10);
  CHECK_FALSE(a->params.clientContextTakeover);
  CHECK_FALSE(a->params.serverContextTakeover);
  CHECK(a->params.serverWindowBits == 15);
  CHECK(a->params.minSize == 64);
  CHECK_FALSE(negotiateDeflate(offering({"permessage-deflate"}), {})->params.clientContextTakeover);
  Compression c;
  c.clientNoContextTakeover = false;
  const auto b = negotiateDeflate(offering({"permessage-deflate"}), c);
  REQUIRE(b);
  CHECK(b->params.clientContextTakeover);
  CHECK(b->params.clientWindowBits == 15);
}

TEST_CASE("permessage-deflate: invalid offers are declined and the next one is tried") {
  for (const char* bad : {
           "permessage-deflate; foo",  // unknown parameter
           "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
           "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
           "permessage-deflate; server_max_window_bits",  // needs a value
           "permessage-deflate; server_max_window_bits=16",
           "permessage-deflate; server_max_window_bits=7",
           "permessage-deflate; server_max_window_bits=010",  // leading zero
           "permessage-deflate; server_max_window_bits=1x",
           "permessage-deflate; client_max_window_bits=0",
           "permessage-deflate; client_max_window_bits=\"\"",
           "permessage-deflate; server_no_context_takeover=1",  // takes no value
           "permessage-deflate; client_no_context_takeover=\"x\"",
           "permessage-deflate; server_max_window_bits=\"1 0\"",
           "permessage-deflate; =10",
           "permessage-deflate;;",
           "permessage-deflate; server_max_window_bits=8",  // zlib cannot: declined
           "x-webkit-deflate-frame",
       }) {
    CAPTURE(bad);
    CHECK(respond(bad).empty());
    // The next offer, in the same header or in another one, is tried.
    CHECK(respond(std::string(bad) + ", permessage-deflate; client_no_context_takeover") ==
          "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    const auto two =
        negotiateDeflate(offering({bad, "permessage-deflate; server_max_window_bits=9"}), {});
    REQUIRE(two);
    CHECK(two->params.serverWindowBits == 9);
  }
  CHECK(respond("").empty());
  CHECK_FALSE(negotiateDeflate(offering({}), {}));
  // A quoted comma does not split the list.
  CHECK(respond("foo; x=\"a, permessage-deflate\", permessage-deflate")
            .starts_with("permessage-deflate"));
  CHECK(respond("foo; x=\"a, permessage-deflate\"").empty());
}

TEST_CASE("permessage-deflate: a server's response, as a client reads it") {
  const auto p = parseDeflateResponse(
      "permessage-deflate; server_no_context_takeover; client_max_window_bits=9");
  REQUIRE(p);
  CHECK_FALSE(p->serverContextTakeover);
  CHECK(p->clientContextTakeover);
  CHECK(p->clientWindowBits == 9);
  CHECK_FALSE(parseDeflateResponse("permessage-deflate; client_max_window_bits"));
  CHECK_FALSE(parseDeflateResponse("permessage-deflate, permessage-deflate"));
  CHECK_FALSE(parseDeflateResponse("permessage-deflate; foo"));
}

TEST_CASE("permessage-deflate: the server's messages inflate back, with and without context") {
  for (const bool keep : {false, true}) {
    CAPTURE(keep);
    ZStream stream(ZStream::Kind::deflate, 6, 15, 8);
    std::string out;
    const auto text = lorem(5000);
    REQUIRE(deflateMessage(stream, text, keep, out));
    CHECK(out.size() < text.size() / 4);
    CHECK(clientInflate(out) == text);
    std::string second;
    REQUIRE(deflateMessage(stream, text, keep, second));
    // Without context the second message is compressed alone, exactly like the first.
    if (!keep) CHECK(second == out);
    if (keep) CHECK(second.size() < out.size());
  }
  ZStream stream(ZStream::Kind::deflate, 6, 9, 1);
  std::string out;
  REQUIRE(deflateMessage(stream, "", false, out));
  CHECK(out == std::string(1, '\0'));  // RFC 7692 7.2.3.6
  CHECK(clientInflate(out).empty());
}

TEST_CASE("permessage-deflate: compressed frames are inflated, split anywhere") {
  const auto text = lorem(3000);
  const auto z = clientCompress(text);
  // One frame, and the same message in three fragments (RSV1 on the first only).
  const std::string whole = clientFrame(WsOpcode::text, z, true, true);
  const std::string pieces = clientFrame(WsOpcode::text, z.substr(0, 10), false, true) +
                             clientFrame(WsOpcode::continuation, z.substr(10, 50), false) +
                             clientFrame(WsOpcode::ping, "p") +
                             clientFrame(WsOpcode::continuation, z.substr(60), true);
  for (const auto& bytes : {whole, pieces}) {
    for (std::size_t step : {1u, 7u, 100000u}) {
      CAPTURE(step);
      DeflateParams params;
      params.clientContextTakeover = false;
      WsParser parser;
      parser.enableInflate(params);
      Collect got;
      REQUIRE(parseAll(parser, bytes + bytes, got, step) == 0);
      REQUIRE(got.messages.size() == 2);
      CHECK(got.messages[0] == text);
      CHECK(got.messages[1] == text);
    }
  }
  // An uncompressed message on the same connection is read as it is.
  WsParser parser;
  parser.enableInflate({});
  Collect got;
  REQUIRE(parseAll(parser, clientFrame(WsOpcode::text, "plain"), got, 100) == 0);
  CHECK(got.messages == std::vector<std::string>{"plain"});
}

TEST_CASE("permessage-deflate: the client's context is kept between messages when agreed") {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  const auto text = lorem(2000);
  std::string frames;
  for (int i = 0; i < 3; ++i) {  // the same text thrice: later ones refer to the first
    std::string out(8192, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = static_cast<uInt>(text.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&z, Z_SYNC_FLUSH) == Z_OK);
    out.resize(out.size() - z.avail_out - 4);
    frames += clientFrame(WsOpcode::text, out, true, true);
  }
  deflateEnd(&z);
  WsParser parser;
  parser.enableInflate({});  // clientContextTakeover defaults to true
  Collect got;
  REQUIRE(parseAll(parser, frames, got, 64) == 0);
  REQUIRE(got.messages.size() == 3);
  for (const auto& m : got.messages) CHECK(m == text);
  parser.shrink();  // the context stays: a fourth message could still refer to it
}

TEST_CASE("permessage-deflate: protocol violations get their close codes") {
  const auto z = clientCompress("hello hello hello");
  const auto code = [](std::string bytes, bool negotiated = true) {
    WsParser parser;
    if (negotiated) parser.enableInflate({});
    Collect got;
    return parseAll(parser, std::move(bytes), got, 1000);
  };
  CHECK(code(clientFrame(WsOpcode::text, z, true, true), false) == 1002);  // not negotiated
  CHECK(code(clientFrame(WsOpcode::ping, "x", true, true)) == 1002);
  CHECK(code(clientFrame(WsOpcode::text, z.substr(0, 5), false, true) +
             clientFrame(WsOpcode::continuation, z.substr(5), true, true)) == 1002);
  CHECK(code(clientFrame(WsOpcode::text, "\xff\xff\xff garbage", true, true)) == 1007);
  // Invalid UTF-8 inside valid compressed data fails on the inflated bytes.
  CHECK(code(clientFrame(WsOpcode::text, clientCompress("ok \xc0\xaf"), true, true)) == 1007);
  CHECK(code(clientFrame(WsOpcode::binary, clientCompress("ok \xc0\xaf"), true, true)) == 0);
  // Data after a final block (BFINAL) in the same message.
  std::string final(64, '\0');
  {
    z_stream s{};
    REQUIRE(deflateInit2(&s, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>("abc"));
    s.avail_in = 3;
    s.next_out = reinterpret_cast<Bytef*>(final.data());
    s.avail_out = static_cast<uInt>(final.size());
    REQUIRE(deflate(&s, Z_FINISH) == Z_STREAM_END);
    final.resize(s.total_out);
    deflateEnd(&s);
  }
  CHECK(code(clientFrame(WsOpcode::text, final, true, true)) == 0);  // BFINAL alone is fine
  CHECK(code(clientFrame(WsOpcode::text, final + "xyz", true, true)) == 1007);
}

TEST_CASE("permessage-deflate: a zip bomb stops at the limit without inflating the rest") {
  const std::string zeros(8 * 1024 * 1024, '\0');
  const auto bomb = clientCompress(zeros);  // about 8 KiB
  REQUIRE(bomb.size() < 16 * 1024);
  for (const std::size_t limit : {std::size_t{1024 * 1024}, zeros.size() - 1, zeros.size()}) {
    CAPTURE(limit);
    WsParser parser({limit, 16 * 1024 * 1024});
    parser.enableInflate({});
    Collect got;
    const auto code = parseAll(parser, clientFrame(WsOpcode::binary, bomb, true, true), got, 4096);
    if (limit < zeros.size()) {
      CHECK(code == 1009);
      CHECK(got.messages.empty());
    } else {
      CHECK(code == 0);
      REQUIRE(got.messages.size() == 1);
      CHECK(got.messages[0].size() == zeros.size());
    }
  }
  // The memory of the message buffer stays within the limit.
  MessageInflater inflater({});
  std::string out;
  CHECK(inflater.inflate(bomb, true, out, 100'000, nullptr) == 1009);
  CHECK(out.size() == 100'000);
  CHECK(out.capacity() <= 100'000);
}
