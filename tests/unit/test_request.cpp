// Request: header lookup, tokens, query parameters and cookies.
#include <ratchet/request.hpp>

#include <doctest/doctest.h>

using ratchet::Request;

namespace {

Request make(std::string target, std::vector<Request::Header> headers) {
  return Request("GET", std::move(target), 11, std::move(headers));
}

}  // namespace

TEST_CASE("request: path and query are split at the first '?'") {
  const auto r = make("/chat?room=a%20b&x=1&flag&plus=a+b&bad=%zz", {});
  CHECK(r.path() == "/chat");
  CHECK(r.query() == "room=a%20b&x=1&flag&plus=a+b&bad=%zz");
  CHECK(r.queryParam("room") == "a b");
  CHECK(r.queryParam("x") == "1");
  CHECK(r.queryParam("flag") == "");
  CHECK(r.queryParam("plus") == "a b");
  CHECK_FALSE(r.queryParam("bad").has_value());  // malformed escape: no value, no crash
  CHECK_FALSE(r.queryParam("missing").has_value());
  CHECK(make("/plain", {}).query().empty());
  CHECK(make("/plain", {}).path() == "/plain");
}

TEST_CASE("request: header names compare case-insensitively") {
  const auto r = make("/", {{"Host", "example.com"}, {"X-Twice", "1"}, {"x-twice", "2"}});
  CHECK(r.header("host") == "example.com");
  CHECK(r.header("HOST") == "example.com");
  CHECK(r.header("X-TWICE") == "1");
  CHECK(r.headerCount("x-twice") == 2);
  CHECK(r.header("absent").empty());
  CHECK_FALSE(r.hasHeader("absent"));
}

TEST_CASE("request: header tokens are found in comma lists, any case") {
  const auto r = make("/", {{"Connection", "keep-alive, Upgrade"}, {"Upgrade", "WebSocket"}});
  CHECK(r.headerHasToken("connection", "upgrade"));
  CHECK(r.headerHasToken("upgrade", "websocket"));
  CHECK_FALSE(r.headerHasToken("connection", "close"));
  CHECK_FALSE(make("/", {{"Connection", "upgrader"}}).headerHasToken("connection", "upgrade"));
}

TEST_CASE("request: cookies from one or several Cookie headers") {
  const auto r = make("/", {{"Cookie", "a=1; session=\"xyz\"; empty="}, {"Cookie", "late=2"}});
  CHECK(r.cookie("a") == "1");
  CHECK(r.cookie("session") == "xyz");
  CHECK(r.cookie("empty") == "");
  CHECK(r.cookie("late") == "2");
  CHECK_FALSE(r.cookie("nope").has_value());
}
