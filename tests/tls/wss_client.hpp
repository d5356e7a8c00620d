#pragma once
// A wss:// test client: Beast's WebSocket over asio::ssl, trusting only the test CA
// (RATCHET_TEST_CERTS), every blocking call bounded by test::Deadline.

#include "e2e/support.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace test {

namespace ssl = boost::asio::ssl;

/// A client context that trusts only the test CA; versions as SSL_CTX_set_*_proto_version.
inline ssl::context clientContext(int minVersion = 0, int maxVersion = 0) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.load_verify_file(RATCHET_TEST_CERTS "/ca.pem");
  ctx.set_verify_mode(ssl::verify_peer);
  if (minVersion != 0) {
    SSL_CTX_set_min_proto_version(ctx.native_handle(), minVersion);
    // TLS 1.0/1.1 need security level 0 to be offered at all (see tests/tls/support.hpp).
    if (minVersion < TLS1_2_VERSION) SSL_CTX_set_security_level(ctx.native_handle(), 0);
  }
  if (maxVersion != 0) SSL_CTX_set_max_proto_version(ctx.native_handle(), maxVersion);
  return ctx;
}

using SslStream = ssl::stream<tcp::socket>;

/// Connects `stream` to 127.0.0.1:port and runs the TLS handshake with SNI `serverName`,
/// verifying the chain against the CA and the certificate against `serverName` (when it is
/// not an IP address).
inline void tlsConnect(SslStream& stream, std::optional<Deadline>& deadline, std::uint16_t port,
                       const std::string& serverName) {
  auto& sock = stream.next_layer();
  sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  deadline.emplace(sock);
  auto bounded = deadline->scope();
  REQUIRE(SSL_set_tlsext_host_name(stream.native_handle(), serverName.c_str()) == 1);
  stream.set_verify_callback(ssl::host_name_verification(serverName));
  stream.handshake(ssl::stream_base::client);
}

/// A wss:// client: Beast's WebSocket over asio::ssl, trusting only the test CA.
class WssClient {
 public:
  explicit WssClient(std::uint16_t port, std::string serverName = "localhost",
                     std::string target = "/echo")
      : ctx_(clientContext()), ws_(ioc_, ctx_) {
    tlsConnect(ws_.next_layer(), deadline_, port, serverName);
    auto bounded = deadline_->scope();
    ws_.read_message_max(64 * 1024 * 1024);
    ws_.handshake(serverName + ":" + std::to_string(port), target);
  }
  void send(std::string_view text) {
    auto bounded = deadline_->scope();
    ws_.text(true);
    ws_.write(asio::buffer(text));
  }
  void sendBinary(std::string_view bytes) {
    auto bounded = deadline_->scope();
    ws_.binary(true);
    ws_.write(asio::buffer(bytes));
  }
  std::string read() {
    auto bounded = deadline_->scope();
    beast::flat_buffer b;
    ws_.read(b);
    lastWasBinary_ = ws_.got_binary();
    return beast::buffers_to_string(b.data());
  }
  bool lastWasBinary() const { return lastWasBinary_; }
  /// Sends `message` and checks that exactly it comes back, with the same type.
  void checkEcho(const std::string& message, bool binary) {
    binary ? sendBinary(message) : send(message);
    const auto got = read();
    CHECK(lastWasBinary() == binary);
    CHECK(got.size() == message.size());
    CHECK_MESSAGE(got == message, "echo of " << message.size() << " bytes differs");
  }
  void close() {
    auto bounded = deadline_->scope();
    ws_.close(websocket::close_code::normal);
  }
  SSL* ssl() { return ws_.next_layer().native_handle(); }

 private:
  asio::io_context ioc_;
  ssl::context ctx_;
  websocket::stream<SslStream> ws_;
  std::optional<Deadline> deadline_;
  bool lastWasBinary_ = false;
};

}  // namespace test
