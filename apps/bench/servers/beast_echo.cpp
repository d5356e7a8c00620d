// bench-beast-echo: Boost.Beast's websocket_server_async example, reduced to its echo
// session: websocket::stream<tcp_stream>, one flat_buffer, async_read -> async_write.

#include "beast_main.hpp"

#include <boost/beast/websocket.hpp>

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(net::ip::tcp::socket&& socket) : ws_(std::move(socket)) {}

  void run() {
    net::dispatch(ws_.get_executor(), [self = shared_from_this()] { self->onRun(); });
  }

 private:
  void onRun() {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.async_accept([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->read();
    });
  }
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;  // closed (websocket::error::closed) or failed
      self->ws_.text(self->ws_.got_text());
      self->ws_.async_write(self->buffer_.data(), [self](beast::error_code ec, std::size_t) {
        if (ec) return;
        self->buffer_.consume(self->buffer_.size());
        self->read();
      });
    });
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
};

}  // namespace

int main(int argc, char** argv) {
  return bench::runBeastServer<Session>(argc, argv, "bench-beast-echo");
}
