// bench-beast-tls-echo: bench-beast-echo over TLS, structured as Boost.Beast's
// websocket_server_async_ssl example: websocket::stream<beast::ssl_stream<tcp_stream>>, a
// shared ssl::context (tls_server) loaded from --cert/--key, then per session the TLS
// handshake, the WebSocket accept and the same async_read -> async_write echo loop. Unlike
// the example (and bench-beast-echo) it sets TCP_NODELAY, see Session.

#include "beast_main.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <chrono>
#include <functional>
#include <iostream>

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;

namespace {

constexpr const char* kName = "bench-beast-tls-echo";

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(net::ip::tcp::socket&& socket, ssl::context& ctx) : ws_(std::move(socket), ctx) {
    // Not in the example: without TCP_NODELAY, Nagle holds each TLS flight's second write
    // (tickets then the 101, close frame then close_notify) until the client's delayed ACK,
    // 40 ms, and handshakes would measure that timer. ratchet sets it on every socket.
    boost::system::error_code ec;
    beast::get_lowest_layer(ws_).socket().set_option(net::ip::tcp::no_delay(true), ec);
  }

  void run() {
    net::dispatch(ws_.get_executor(), [self = shared_from_this()] { self->onRun(); });
  }

 private:
  void onRun() {
    // The TLS handshake has a deadline of its own; the WebSocket timeouts take over after it.
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(30));
    ws_.next_layer().async_handshake(ssl::stream_base::server,
                                     [self = shared_from_this()](beast::error_code ec) {
                                       if (!ec) self->onHandshake();
                                     });
  }
  void onHandshake() {
    beast::get_lowest_layer(ws_).expires_never();
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

  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws_;
  beast::flat_buffer buffer_;
};

// One context for all sessions, as in the example; OpenSSL's defaults otherwise (TLS 1.3,
// session tickets), the same as a server built on ratchet::TlsOptions gets.
void loadCertificate(ssl::context& ctx, const std::string& certFile, const std::string& keyFile) {
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3);
  ctx.use_certificate_chain_file(certFile);
  ctx.use_private_key_file(keyFile, ssl::context::pem);
}

}  // namespace

int main(int argc, char** argv) try {
  const auto args = bench::parseServerArgs(argc, argv, kName,
                                           {.cert = "--cert", .key = "--key", .required = true});
  ssl::context ctx{ssl::context::tls_server};
  loadCertificate(ctx, args.certFile, args.keyFile);
  return bench::serveBeast<Session>(args, std::ref(ctx));
} catch (const std::exception& e) {
  std::cerr << kName << ": " << e.what() << '\n';
  return 1;
}
