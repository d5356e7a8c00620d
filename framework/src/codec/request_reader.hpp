#pragma once
// Reads one HTTP/1.1 request from bytes fed in pieces (sans I/O; framework-internal).

#include "ratchet/options.hpp"
#include "ratchet/request.hpp"

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ratchet::detail {

/// Feeds bytes, split anywhere, to Beast's request parser under HttpOptions' size limits and
/// RFC 9112's Host rule. The result says whether more is needed, the request is complete
/// (with the bytes that came after it), or the request is bad (with the status to answer).
class RequestReader {
 public:
  struct Result {
    enum class Kind { needMore, done, error } kind = Kind::needMore;
    int status = 0;                          // error: the HTTP status to answer with
    std::string why;                         // error: a short reason for the body and logs
    std::shared_ptr<const Request> request;  // done: the request
    std::string rest;                        // done: bytes after the request
    bool sendContinue = false;  // needMore: the client awaits "100 Continue" for its body
  };

  explicit RequestReader(const HttpOptions& options);

  /// Feeds more bytes. After `done` or `error` the reader takes no more input.
  Result feed(std::string_view bytes);

 private:
  Result fail(int status, std::string why);

  std::size_t maxHeaderBytes_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::string pending_;            // bytes of an incomplete request, kept until it completes
  std::size_t headerScanned_ = 0;  // pending_ bytes searched for the header's end
  bool continueSent_ = false;
};

}  // namespace ratchet::detail
