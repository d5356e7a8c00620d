// TLS end to end: real servers (App, bare IoServer) on 127.0.0.1 with the test PKI, and real
// clients over loopback (Boost.Beast over asio::ssl, raw sockets for hostile input). Every
// blocking client call is bounded by test::Deadline.

#include "e2e/support.hpp"
#include "support.hpp"
#include "wss_client.hpp"

#include "../../examples/chat/chat.hpp"

#include <doctest/doctest.h>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = test::asio;
namespace beast = test::beast;
namespace http = test::http;
namespace websocket = test::websocket;
namespace ssl = boost::asio::ssl;
namespace fs = std::filesystem;
using tcp = test::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using test::certFile;

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

using test::clientContext;
using test::SslStream;
using test::tlsConnect;

/// The certificate the server presented on `ssl`.
test::X509Ptr peerOf(SSL* ssl) {
  return test::X509Ptr(SSL_get1_peer_certificate(ssl));
}

/// Whether `cert` is the (first) certificate of `pemFile`.
bool isCertificate(const test::X509Ptr& cert, const std::string& pemFile) {
  return cert && X509_cmp(cert.get(), test::readCertificate(pemFile).get()) == 0;
}

/// test::WssClient, and the certificate the server presented.
struct WssClient : test::WssClient {
  using test::WssClient::WssClient;
  test::X509Ptr peer() { return peerOf(ssl()); }
};

/// A raw TLS client: bytes in, bytes out (for the raw-TLS chat, and HTTPS by hand).
class TlsClient {
 public:
  explicit TlsClient(std::uint16_t port, std::string serverName = "localhost", int minVersion = 0,
                     int maxVersion = 0)
      : ctx_(clientContext(minVersion, maxVersion)), stream_(ioc_, ctx_) {
    tlsConnect(stream_, deadline_, port, serverName);
  }
  void write(std::string_view bytes) {
    auto bounded = deadline_->scope();
    asio::write(stream_, asio::buffer(bytes));
  }
  /// Reads until `out` ends with `suffix`; throws on EOF or timeout.
  std::string readUntil(std::string_view suffix) {
    auto bounded = deadline_->scope();
    std::string out;
    char buf[4096];
    for (int i = 0; i < 10000 && !out.ends_with(suffix); ++i) {
      const auto n = stream_.read_some(asio::buffer(buf));
      out.append(buf, n);
    }
    return out;
  }
  SslStream& stream() { return stream_; }
  test::Deadline& deadline() { return *deadline_; }
  test::X509Ptr peer() { return peerOf(stream_.native_handle()); }

 private:
  asio::io_context ioc_;
  ssl::context ctx_;
  SslStream stream_;
  std::optional<test::Deadline> deadline_;
};

ratchet::AppOptions tlsOptions(const std::string& cert, const std::string& key) {
  auto o = test::testOptions();
  o.tls = ratchet::TlsOptions{.certificateChainFile = cert, .privateKeyFile = key};
  return o;
}

ratchet::AppOptions tlsOptions() {
  return tlsOptions(certFile("fullchain-rsa.pem"), certFile("server-rsa.key"));
}

void echoRoute(ratchet::App& app) {
  app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
}

/// An App with EchoServer on /echo over TLS, running on a background thread.
using TlsEchoApp = test::Running<test::RoutedApp>;

std::string randomBytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

/// A real ClientHello (what SSL_connect first sends), made in memory.
std::string clientHello() {
  const test::SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  REQUIRE(ctx);
  const test::SslPtr ssl(SSL_new(ctx.get()));
  REQUIRE(ssl);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), in, out);  // ssl owns both
  SSL_set_tlsext_host_name(ssl.get(), "localhost");
  SSL_set_connect_state(ssl.get());
  REQUIRE(SSL_do_handshake(ssl.get()) != 1);  // wants the ServerHello
  char* data = nullptr;
  const long n = BIO_get_mem_data(out, &data);
  REQUIRE(n > 100);
  ERR_clear_error();
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

// ---- wss echo ------------------------------------------------------------------------------

TEST_CASE("tls e2e: wss echo of text and binary, 0 B to 1 MiB, and 50 in a row") {
  test::Watchdog watchdog("wss echo");
  TlsEchoApp app(tlsOptions(), echoRoute);
  WssClient client(app.port());

  // The chain verified against the CA for "localhost" (else the handshake threw), and it is
  // server-rsa's certificate that came.
  CHECK(SSL_get_verify_result(client.ssl()) == X509_V_OK);
  CHECK(isCertificate(client.peer(), certFile("server-rsa.pem")));

  for (const bool binary : {false, true}) {
    CAPTURE(binary);
    for (const std::size_t n :
         {std::size_t{0}, std::size_t{125}, std::size_t{64 * 1024}, std::size_t{1024 * 1024}}) {
      CAPTURE(n);
      const auto message = binary ? randomBytes(n, static_cast<unsigned>(n))
                                  : std::string(n, static_cast<char>('a' + n % 26));
      client.checkEcho(message, binary);
    }
  }
  // 50 in a row, all written before the first is read back: they come back in order.
  for (int i = 0; i < 50; ++i) client.send("message " + std::to_string(i));
  for (int i = 0; i < 50; ++i) CHECK(client.read() == "message " + std::to_string(i));
  client.close();
}

TEST_CASE("tls e2e: a client that does not trust the CA fails the handshake") {
  TlsEchoApp app(tlsOptions(), echoRoute);
  asio::io_context ioc;
  ssl::context ctx(ssl::context::tls_client);  // no CA loaded: nothing verifies
  ctx.set_verify_mode(ssl::verify_peer);
  SslStream stream(ioc, ctx);
  stream.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), app.port()));
  test::Deadline deadline(stream.next_layer());
  auto bounded = deadline.scope();
  beast::error_code ec;
  stream.handshake(ssl::stream_base::client, ec);
  CHECK(ec);
  CHECK_FALSE(deadline.fired());
}

// ---- https ---------------------------------------------------------------------------------

TEST_CASE("tls e2e: https over one keep-alive TLS connection (StaticFiles and HttpHandler)") {
  test::TempDir site;
  site.write("index.html", "<h1>over TLS</h1>");
  TlsEchoApp app(tlsOptions(), [&](ratchet::App& a) {
    a.route("/hello", std::make_shared<ratchet::HttpHandler>([](const ratchet::Request&) {
              return ratchet::HttpResponse::text("hello over tls");
            }));
    a.route("/*", std::make_shared<ratchet::StaticFiles>(site.path));
  });
  TlsClient client(app.port());
  beast::flat_buffer buffer;
  auto get = [&](const std::string& target) {
    http::request<http::empty_body> req(http::verb::get, target, 11);
    req.set(http::field::host, "localhost:" + std::to_string(app.port()));
    auto bounded = client.deadline().scope();
    http::write(client.stream(), req);
    http::response<http::string_body> res;
    http::read(client.stream(), buffer, res);
    return res;
  };
  const auto page = get("/");
  CHECK(page.result_int() == 200);
  CHECK(page.body() == "<h1>over TLS</h1>");
  CHECK(page.keep_alive());
  // The second request goes over the same TLS connection.
  const auto hello = get("/hello");
  CHECK(hello.result_int() == 200);
  CHECK(hello.body() == "hello over tls");
  const auto missing = get("/nothing-here");
  CHECK(missing.result_int() == 404);
}

// ---- raw TLS under a bare IoServer ---------------------------------------------------------

TEST_CASE("tls e2e: raw TLS chat under a bare IoServer: a line from one client reaches the other") {
  test::Watchdog watchdog("raw TLS chat");
  ratchet::IoOptions io;
  io.threads = 2;
  io.handleSignals = false;
  io.shutdownTimeout = 3s;
  io.tls = test::serverOptions("server-ecdsa");
  test::Running<ratchet::IoServer> server(std::make_shared<Chat>(), std::uint16_t{0}, "127.0.0.1",
                                          io);
  CHECK(server->isTls());
  TlsClient a(server.port());
  TlsClient b(server.port());
  CHECK(isCertificate(a.peer(), certFile("server-ecdsa.pem")));
  a.write("hello from a\n");
  CHECK(b.readUntil("\n") == "hello from a\n");
  b.write("and back from b\n");
  CHECK(a.readUntil("\n") == "and back from b\n");
}

// ---- SNI -----------------------------------------------------------------------------------

TEST_CASE("tls e2e: SNI picks the certificate by server name") {
  auto options = tlsOptions();
  options.tls->sniCertificates = {test::certificate("a-test"), test::certificate("wild-test")};
  TlsEchoApp app(options, echoRoute);

  struct Case {
    std::string serverName;
    std::string pem;
    std::string name;
  };
  for (const auto& c :
       {Case{"a.test", "a-test.pem", "a.test"}, Case{"x.wild.test", "wild-test.pem", "*.wild.test"},
        Case{"localhost", "server-rsa.pem", "localhost"}}) {
    CAPTURE(c.serverName);
    // The handshake verifies the certificate for the name asked for.
    WssClient client(app.port(), c.serverName);
    const auto peer = client.peer();
    REQUIRE(peer);
    CHECK(isCertificate(peer, certFile(c.pem)));
    const auto names = test::namesOf(peer.get());
    CHECK(std::find(names.begin(), names.end(), c.name) != names.end());
    client.checkEcho("sni " + c.serverName, false);
    client.close();
  }
}

// ---- reload --------------------------------------------------------------------------------

TEST_CASE("tls e2e: reloadTls swaps the certificate for new clients, bad files keep the old one") {
  test::Watchdog watchdog("reload");
  test::TempDir dir;
  const auto cert = dir.file("cert.pem");
  const auto key = dir.file("key.pem");
  auto install = [&](std::string_view base) {
    fs::copy_file(certFile(std::string(base) + ".pem"), cert, fs::copy_options::overwrite_existing);
    fs::copy_file(certFile(std::string(base) + ".key"), key, fs::copy_options::overwrite_existing);
  };
  install("server-rsa");  // A
  TlsEchoApp app(tlsOptions(cert, key), echoRoute);

  WssClient first(app.port());
  CHECK(isCertificate(first.peer(), certFile("server-rsa.pem")));
  first.checkEcho("before", false);

  install("server-ecdsa");  // B
  CHECK(app->app().reloadTls());
  {
    WssClient second(app.port());
    CHECK(isCertificate(second.peer(), certFile("server-ecdsa.pem")));
    second.checkEcho("new certificate", false);
    second.close();
  }
  first.checkEcho("still on A", false);
  CHECK(isCertificate(first.peer(), certFile("server-rsa.pem")));

  // Garbage: the reload fails and B stays.
  dir.write("cert.pem", "not a certificate\n");
  dir.write("key.pem", "not a key\n");
  CHECK_FALSE(app->app().reloadTls());
  {
    WssClient third(app.port());
    CHECK(isCertificate(third.peer(), certFile("server-ecdsa.pem")));
    third.checkEcho("kept B", false);
    third.close();
  }
  // Unreadable (removed): the same.
  fs::remove(cert);
  fs::remove(key);
  CHECK_FALSE(app->app().reloadTls());
  {
    WssClient fourth(app.port());
    CHECK(isCertificate(fourth.peer(), certFile("server-ecdsa.pem")));
    fourth.close();
  }
  first.checkEcho("A to the end", false);
  first.close();
}

// ---- bad input on the TLS port --------------------------------------------------------------

namespace {

/// An App on TLS with a short handshake timeout, and a wss client connected before any bad
/// input: after each, that client still echoes and a new one connects.
struct Hostile {
  Hostile() : app(options(), echoRoute), healthy(app.port()) {}
  static ratchet::AppOptions options() {
    auto o = tlsOptions();
    o.http.handshakeTimeout = 300ms;
    return o;
  }
  void checkStillServes(std::string_view after) {
    INFO("after " << after);
    healthy.checkEcho("healthy after " + std::string(after), false);
    WssClient fresh(app.port());
    fresh.checkEcho("new after " + std::string(after), false);
    fresh.close();
  }
  TlsEchoApp app;
  WssClient healthy;
};

}  // namespace

TEST_CASE("tls e2e: a plain HTTP request on the TLS port gets a plain 400 and is closed") {
  Hostile h;
  test::RawClient raw(h.app.port());
  raw.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  const auto answer = raw.readAll();
  CHECK(answer.starts_with("HTTP/1.1 400 "));
  CHECK(contains(answer, "https"));
  CHECK(raw.closedByPeer());
  h.checkStillServes("a plain HTTP request");
}

TEST_CASE("tls e2e: 4 KiB of random bytes on the TLS port: closed") {
  Hostile h;
  test::RawClient raw(h.app.port());
  raw.write(randomBytes(4096, 42));
  CHECK(raw.closedByPeer());
  h.checkStillServes("random bytes");
}

TEST_CASE("tls e2e: a client limited to TLS 1.1 fails the handshake") {
  Hostile h;
  asio::io_context ioc;
  auto ctx = clientContext(TLS1_1_VERSION, TLS1_1_VERSION);
  SslStream stream(ioc, ctx);
  stream.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), h.app.port()));
  test::Deadline deadline(stream.next_layer());
  {
    auto bounded = deadline.scope();
    beast::error_code ec;
    stream.handshake(ssl::stream_base::client, ec);
    CHECK_MESSAGE(ec, "a TLS 1.1 handshake succeeded");
    CHECK_FALSE(deadline.fired());  // refused, not left waiting
  }
  h.checkStillServes("a TLS 1.1 client");
  // The same client code with TLS 1.2 allowed does connect: the check above is about the version.
  TlsClient ok(h.app.port(), "localhost", TLS1_1_VERSION, TLS1_2_VERSION);
  CHECK(SSL_version(ok.stream().native_handle()) == TLS1_2_VERSION);
}

TEST_CASE("tls e2e: a client that sends nothing is closed after http.handshakeTimeout") {
  Hostile h;
  const auto start = Clock::now();
  test::RawClient raw(h.app.port());
  CHECK(raw.closedByPeer());  // a bounded wait for EOF (test::kTimeout)
  const auto elapsed = Clock::now() - start;
  CHECK(elapsed >= 250ms);
  CHECK(elapsed < 5s);
  h.checkStillServes("a silent client");
}

TEST_CASE("tls e2e: half a ClientHello and then EOF: closed") {
  Hostile h;
  const auto hello = clientHello();
  test::RawClient raw(h.app.port());
  raw.write(std::string_view(hello).substr(0, hello.size() / 2));
  ::shutdown(raw.socket().native_handle(), SHUT_WR);
  CHECK(raw.closedByPeer());
  h.checkStillServes("half a ClientHello and EOF");
}

TEST_CASE("tls e2e: half a ClientHello, socket left open: closed by the handshake timeout") {
  Hostile h;
  const auto hello = clientHello();
  const auto start = Clock::now();
  test::RawClient raw(h.app.port());
  raw.write(std::string_view(hello).substr(0, hello.size() / 2));
  CHECK(raw.closedByPeer());
  const auto elapsed = Clock::now() - start;
  CHECK(elapsed >= 250ms);
  CHECK(elapsed < 5s);
  h.checkStillServes("half a ClientHello left open");
}

TEST_CASE("tls e2e: a whole ClientHello written byte by byte still handshakes") {
  Hostile h;
  // The counterpart of the cut-off cases: the server assembles a ClientHello from pieces.
  asio::io_context ioc;
  auto ctx = clientContext();
  SslStream stream(ioc, ctx);
  auto& sock = stream.next_layer();
  sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), h.app.port()));
  sock.set_option(tcp::no_delay(true));
  test::Deadline deadline(sock);
  auto bounded = deadline.scope();
  // A memory-BIO client, its output written one byte per send.
  const test::SslPtr ssl(SSL_new(ctx.native_handle()));
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), in, out);
  SSL_set_tlsext_host_name(ssl.get(), "localhost");
  SSL_set1_host(ssl.get(), "localhost");
  SSL_set_connect_state(ssl.get());
  bool done = false;
  for (int round = 0; round < 20 && !done; ++round) {
    done = SSL_do_handshake(ssl.get()) == 1;
    char* data = nullptr;
    const long n = BIO_get_mem_data(out, &data);
    for (long i = 0; i < n; ++i) asio::write(sock, asio::buffer(data + i, 1));
    (void)BIO_reset(out);
    if (done) break;
    char buf[16384];
    beast::error_code ec;
    const auto got = sock.read_some(asio::buffer(buf), ec);
    REQUIRE_MESSAGE(!ec, "read: " << ec.message());
    BIO_write(in, buf, static_cast<int>(got));
  }
  CHECK(done);
  CHECK(SSL_get_verify_result(ssl.get()) == X509_V_OK);
  ERR_clear_error();
  h.checkStillServes("a byte-by-byte ClientHello");
}

// ---- start-up errors -----------------------------------------------------------------------

namespace {

/// The message App's constructor throws as std::runtime_error; empty when it does not.
std::string appError(const std::string& cert, const std::string& key) {
  try {
    test::RoutedApp app(tlsOptions(cert, key), echoRoute);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("tls e2e: App construction names a missing certificate, a missing key, a wrong key") {
  const auto missingCert = certFile("no-such-cert.pem");
  const auto missingKey = certFile("no-such-key.pem");
  const auto error1 = appError(missingCert, certFile("server-rsa.key"));
  CHECK_MESSAGE(contains(error1, missingCert), error1);
  const auto error2 = appError(certFile("fullchain-rsa.pem"), missingKey);
  CHECK_MESSAGE(contains(error2, missingKey), error2);
  const auto error3 = appError(certFile("fullchain-rsa.pem"), certFile("other.key"));
  CHECK_MESSAGE(contains(error3, certFile("other.key")), error3);
  // And the right pair does construct (so the checks above are about the files).
  CHECK(appError(certFile("fullchain-rsa.pem"), certFile("server-rsa.key")).empty());
}

TEST_CASE("tls e2e: an encrypted key with its password serves, a wrong password is an error") {
  auto options = tlsOptions(certFile("server-rsa.pem"), certFile("server-encrypted.key"));
  options.tls->privateKeyPassword = "test-pass";
  {
    TlsEchoApp app(options, echoRoute);
    WssClient client(app.port());
    client.checkEcho("encrypted key", false);
    client.close();
  }
  options.tls->privateKeyPassword = "wrong";
  std::string error;
  try {
    test::RoutedApp app(options, echoRoute);
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  CHECK_MESSAGE(contains(error, certFile("server-encrypted.key")), error);
}
