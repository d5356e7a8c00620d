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
  // Beast wants a whole header line in one buffer: keep partial input until it completes.
  std::string_view input = bytes;
  if (!pending_.empty()) input = pending_.append(bytes);
  std::size_t used = 0;
  boost::beast::error_code ec;
  while (!parser_->is_done() && used < input.size()) {
    const bool inHeader = !parser_->is_header_done();
    const auto n = parser_->put(boost::asio::buffer(input.data() + used, input.size() - used), ec);
    used += n;
    // Beast applies its limit to each put() and consumes whole header lines as they come:
    // the header's total size is counted here. (Not eager: put() stops at the header's end.)
    if (inHeader) headerBytes_ += n;
    if (headerBytes_ > maxHeaderBytes_ || ec == http::error::header_limit)
      return fail(431, "Request header fields too large");
    if (ec == http::error::body_limit) return fail(413, "Content too large");
    if (ec && ec != http::error::need_more) return fail(400, "Bad request: " + ec.message());
    // An unfinished header line already over the limit will not get shorter.
    if (!parser_->is_header_done() && headerBytes_ + (input.size() - used) > maxHeaderBytes_)
      return fail(431, "Request header fields too large");
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
