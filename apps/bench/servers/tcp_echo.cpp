// bench-tcp-echo: the smallest Asio TCP echo server (async_read_some -> async_write), one
// thread. It shows what the kernel and Asio alone cost, the floor for every WebSocket server.

#include "server_args.hpp"

#include <boost/asio.hpp>

#include <array>
#include <iostream>
#include <memory>

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : socket_(std::move(socket)) {}
  void start() { read(); }

 private:
  void read() {
    socket_.async_read_some(net::buffer(data_), [self = shared_from_this()](
                                                    boost::system::error_code ec, std::size_t n) {
      if (!ec) self->write(n);
    });
  }
  void write(std::size_t n) {
    net::async_write(socket_, net::buffer(data_, n),
                     [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                       if (!ec) self->read();
                     });
  }

  tcp::socket socket_;
  std::array<char, 16384> data_;
};

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](boost::system::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket))->start();
    }
    accept(acceptor);
  });
}

}  // namespace

int main(int argc, char** argv) try {
  const auto args = bench::parseServerArgs(argc, argv, "bench-tcp-echo");
  net::io_context io{1};
  tcp::acceptor acceptor(
      io, {net::ip::make_address(args.address), static_cast<unsigned short>(args.port)});
  bench::printListening(args.address, acceptor.local_endpoint().port());
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](auto, auto) { io.stop(); });
  accept(acceptor);
  io.run();
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bench-tcp-echo: " << e.what() << '\n';
  return 1;
}
