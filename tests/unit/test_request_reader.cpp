// RequestReader: one HTTP request from bytes split anywhere, within limits.
#include "codec/request_reader.hpp"

#include <doctest/doctest.h>

using ratchet::detail::RequestReader;
using Kind = RequestReader::Result::Kind;

namespace {

// Feeds `text` in pieces of `step` bytes; returns the first result that is not needMore.
RequestReader::Result feedInSteps(std::string_view text, std::size_t step,
                                  ratchet::HttpOptions options = {}) {
  RequestReader reader(options);
  RequestReader::Result r;
  for (std::size_t i = 0; i < text.size() && r.kind == Kind::needMore; i += step)
    r = reader.feed(text.substr(i, step));
  return r;
}

}  // namespace

TEST_CASE("request reader: a request split anywhere reads the same") {
  const std::string_view text =
      "POST /submit?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello worldNEXT";
  for (std::size_t step : {1u, 2u, 7u, 40u, 1000u}) {
    CAPTURE(step);
    const auto r = feedInSteps(text, step);
    REQUIRE(r.kind == Kind::done);
    CHECK(r.request->method() == "POST");
    CHECK(r.request->queryParam("x") == "1");
    CHECK(r.request->body() == "hello world");
    CHECK(std::string_view("NEXT").starts_with(r.rest));  // what followed, in this feed
  }
}

TEST_CASE("request reader: a body still to come waits for it (no busy loop)") {
  RequestReader reader({});
  CHECK(reader.feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n").kind ==
        Kind::needMore);
  CHECK(reader.feed("he").kind == Kind::needMore);
  const auto r = reader.feed("llo");
  REQUIRE(r.kind == Kind::done);
  CHECK(r.request->body() == "hello");
}

TEST_CASE("request reader: chunked bodies, with chunk lines split") {
  const std::string_view text =
      "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  for (std::size_t step : {1u, 3u, 1000u}) {
    CAPTURE(step);
    const auto r = feedInSteps(text, step);
    REQUIRE(r.kind == Kind::done);
    CHECK(r.request->body() == "hello world");
  }
}

TEST_CASE("request reader: limits and malformed input get their statuses") {
  ratchet::HttpOptions small;
  small.maxHeaderBytes = 200;
  small.maxBodyBytes = 16;
  const std::string bigBody =
      "PUT /big HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x');
  CHECK(feedInSteps(bigBody, 1000, small).status == 413);  // header is small: not 431
  CHECK(feedInSteps(bigBody, 5, small).status == 413);
  const std::string bigHeader =
      "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(300, 'a') + "\r\n\r\n";
  CHECK(feedInSteps(bigHeader, 1000, small).status == 431);
  CHECK(feedInSteps(bigHeader, 9, small).status == 431);
  CHECK(feedInSteps("GARBAGE\r\n\r\n", 1000).status == 400);
  CHECK(feedInSteps("GET / HTTP/1.1\r\n\r\n", 1000).status == 400);  // no Host
  CHECK(feedInSteps("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 1000).status == 400);
  RequestReader done({});
  CHECK(done.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n").kind == Kind::done);
  CHECK(done.feed("more").kind == Kind::error);  // one request per reader
}

TEST_CASE("request reader: a malformed header gets 400 however it is split") {
  ratchet::HttpOptions small;
  small.maxHeaderBytes = 200;
  // A request line cut short by the blank line, with more bytes behind it (found by
  // fuzzing: fed in pieces, Beast used to miss that blank line and answer 431).
  const std::string shortLine = "PUT /x \r\n\r\n" + std::string(250, 'x');
  for (std::size_t step : {1u, 2u, 11u, 1000u}) {
    CAPTURE(step);
    CHECK(feedInSteps(shortLine, step, small).status == 400);
    CHECK(feedInSteps("GET /\r\n\r\n", step).status == 400);
  }
}

TEST_CASE("request reader: a header of exactly the limit is read, one byte more is 431") {
  const std::string head = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
  const std::string header = head + std::string(100 - head.size() - 4, 'a') + "\r\n\r\n";
  REQUIRE(header.size() == 100);
  ratchet::HttpOptions limit;
  limit.maxHeaderBytes = 100;
  for (std::size_t step : {1u, 3u, 1000u}) {
    CAPTURE(step);
    CHECK(feedInSteps(header, step, limit).kind == Kind::done);
    CHECK(feedInSteps(head + "a" + header.substr(head.size()), step, limit).status == 431);
  }
}
