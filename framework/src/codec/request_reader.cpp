#include "codec/request_reader.hpp"

#include "codec/text.hpp"

#include <boost/asio/buffer.hpp>

#include <iterator>

namespace ratchet::detail {

namespace http = boost::beast::http;

namespace {

std::shared_ptr<const Request> toRequest(http::request<http::string_body>&& m) {
  // Reserved exactly: a WebSocket connection keeps its request as long as it lives.
  std::vector<Request::Header> headers;
  headers.reserve(static_cast<std::size_t>(std::distance(m.begin(), m.end())));
  for (const auto& field : m)
    headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  return std::make_shared<const Request>(std::string(m.method_string()), std::string(m.target()),
                                         m.version(), std::move(headers), std::move(m.body()));
}

}  // namespace

RequestReader::RequestReader(const HttpOptions& options) : maxHeaderBytes_(options.maxHeaderBytes) {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(options.maxHeaderBytes));
  parser_->body_limit(options.maxBodyBytes);
}

RequestReader::Result RequestReader::fail(int status, std::string why) {
  parser_.reset();
  std::string().swap(pending_);
  return {Result::Kind::error, status, std::move(why), nullptr, {}};
}

RequestReader::Result RequestReader::feed(std::string_view bytes) {
  if (!parser_) return {Result::Kind::error, 400, "request already read", nullptr, {}};
  // Beast wants a whole header, and a whole chunk line, in one buffer: input is kept until
  // it completes.
  std::string_view input = bytes;
  if (!pending_.empty()) input = pending_.append(bytes);
  // Beast resumes a header it was given in part from a point that depends on where the
  // input was split (a blank line right after a cut-off request line is missed, and the
  // answer is 431 where 400 is due). It gets the header only once the header is whole.
  std::size_t headerEnd = 0;
  if (!parser_->is_header_done()) {
    const auto end = input.find("\r\n\r\n", headerScanned_ < 3 ? 0 : headerScanned_ - 3);
    if (end == std::string_view::npos) {
      if (input.size() >= maxHeaderBytes_) return fail(431, "Request header fields too large");
      headerScanned_ = input.size();
      pending_.assign(input);  // (a self-assignment is fine)
      return {};
    }
    headerEnd = end + 4;
    if (headerEnd > maxHeaderBytes_) return fail(431, "Request header fields too large");
  }
  std::size_t used = 0;
  boost::beast::error_code ec;
  while (!parser_->is_done() && used < input.size()) {
    // The header alone first: Beast asks for more where a short request line ends it (the
    // version is read as 8 bytes), and would then read on past the header.
    const bool inHeader = !parser_->is_header_done();
    const auto size = (inHeader ? headerEnd : input.size()) - used;
    const auto n = parser_->put(boost::asio::buffer(input.data() + used, size), ec);
    used += n;
    if (inHeader && ec == http::error::need_more) return fail(400, "Bad request: malformed header");
    if (ec == http::error::header_limit) return fail(431, "Request header fields too large");
    if (ec == http::error::body_limit) return fail(413, "Content too large");
    if (ec && ec != http::error::need_more) return fail(400, "Bad request: " + ec.message());
    // Beast needs more than it was given (a partial line or chunk header): wait for it.
    if (ec == http::error::need_more && (n == 0 || !parser_->is_header_done())) break;
    ec = {};
  }
  if (!parser_->is_done()) {
    pending_.assign(input.substr(used));  // (a self-assignment of the tail is fine)
    Result more;
    // RFC 9110 10.1.1: a client that sent `Expect: 100-continue` may wait for this.
    if (parser_->is_header_done() && !continueSent_ &&
        iequals(trim(parser_->get()[http::field::expect]), "100-continue"))
      more.sendContinue = continueSent_ = true;
    return more;
  }
  auto request = toRequest(parser_->release());
  // RFC 9112 section 3.2: exactly one Host in an HTTP/1.1 request.
  if (request->headerCount("host") > 1 || (request->version() >= 11 && !request->hasHeader("host")))
    return fail(400, "Bad request: exactly one Host header required");
  Result done{Result::Kind::done, 0, {}, std::move(request), std::string(input.substr(used))};
  parser_.reset();
  std::string().swap(pending_);
  return done;
}

}  // namespace ratchet::detail
