#pragma once
// The accept loop of the Beast reference servers, as in Beast's websocket_server_async
// example: each accepted socket gets its own strand and is handed to Session::run().

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>

#include <memory>

namespace bench {

template <class Session, class... Extra>
class Listener : public std::enable_shared_from_this<Listener<Session, Extra...>> {
 public:
  Listener(boost::asio::io_context& ioc, boost::asio::ip::tcp::endpoint endpoint, Extra... extra)
      : ioc_(ioc), acceptor_(ioc, endpoint), extra_(extra...) {}

  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  void run() { accept(); }

 private:
  void accept() {
    acceptor_.async_accept(boost::asio::make_strand(ioc_), [self = this->shared_from_this()](
                                                               boost::beast::error_code ec,
                                                               boost::asio::ip::tcp::socket s) {
      if (!ec)
        std::apply(
            [&](auto&... extra) { std::make_shared<Session>(std::move(s), extra...)->run(); },
            self->extra_);
      self->accept();
    });
  }

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::tuple<Extra...> extra_;
};

}  // namespace bench
