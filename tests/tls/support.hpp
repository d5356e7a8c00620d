#pragma once
// Test support: in-memory TLS handshakes (no sockets) between a client SSL and a server SSL
// from a TlsContext, joined by a BIO pair, and the generated test PKI (make_certs.sh).

#include "tls/tls_context.hpp"

#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#ifndef RATCHET_TEST_CERTS
#error "RATCHET_TEST_CERTS must name the directory make_certs.sh wrote"
#endif

namespace test {

namespace fs = std::filesystem;

struct SslDeleter {
  void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
};
struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};
struct X509Deleter {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct BioDeleter {
  void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};
struct GeneralNamesDeleter {
  void operator()(GENERAL_NAMES* names) const noexcept { GENERAL_NAMES_free(names); }
};
using SslPtr = std::unique_ptr<SSL, SslDeleter>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

/// A file of the test PKI, e.g. certFile("a-test.pem").
inline std::string certFile(std::string_view name) {
  return (fs::path(RATCHET_TEST_CERTS) / name).string();
}

/// The certificate and key "<base>.pem" / "<base>.key" of the test PKI.
inline ratchet::TlsCertificate certificate(std::string_view base) {
  const std::string b(base);
  return {certFile(b + ".pem"), certFile(b + ".key"), {}};
}

/// TlsOptions with "<base>.pem" / "<base>.key" as the default certificate.
inline ratchet::TlsOptions serverOptions(std::string_view base) {
  const auto c = certificate(base);
  ratchet::TlsOptions options;
  options.certificateChainFile = c.certificateChainFile;
  options.privateKeyFile = c.privateKeyFile;
  return options;
}

/// The message TlsContext's constructor throws for `options`; empty when it does not throw.
inline std::string constructionError(const ratchet::TlsOptions& options) {
  try {
    ratchet::detail::TlsContext context(options);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

/// The reasons on this thread's OpenSSL error queue, which it empties.
inline std::string takeOpenSslErrors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(e, buffer, sizeof buffer);
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out;
}

/// A certificate's subjectAltName DNS names, else its common name.
inline std::vector<std::string> namesOf(X509* cert) {
  std::vector<std::string> names;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter> san(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; san && i < sk_GENERAL_NAME_num(san.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(san.get(), i);
    if (name->type == GEN_DNS)
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
                         ASN1_STRING_length(name->d.dNSName));
  }
  if (names.empty()) {
    char cn[256];
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0)
      names.emplace_back(cn);
  }
  return names;
}

/// The first certificate of a PEM file.
inline X509Ptr readCertificate(const std::string& file) {
  BioPtr bio(BIO_new_file(file.c_str(), "r"));
  if (!bio) throw std::runtime_error("cannot open " + file + ": " + takeOpenSslErrors());
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) throw std::runtime_error("cannot read " + file + ": " + takeOpenSslErrors());
  return cert;
}

/// What a test client does; zero versions leave OpenSSL's defaults.
struct ClientOptions {
  std::string serverName{};         ///< SNI; none when empty
  std::vector<std::string> alpn{};  ///< offered protocols; no ALPN when empty
  int minVersion = 0;               ///< e.g. TLS1_VERSION, to offer versions below TLS 1.2
  int maxVersion = 0;               ///< e.g. TLS1_2_VERSION
  std::string verifyHost{};         ///< the name the certificate must carry (SSL_set1_host)
};

struct Handshake {
  bool ok = false;  ///< both sides finished
  bool clientFailed = false;
  bool serverFailed = false;
  std::string clientError;  ///< OpenSSL's reasons on the side that failed
  std::string serverError;
  X509Ptr peer;      ///< the certificate the client received
  std::string alpn;  ///< the protocol selected; empty when none
  int version = 0;   ///< the negotiated version, e.g. TLS1_3_VERSION

  /// Both sides' errors, for a failed check's message.
  std::string why() const { return "client: " + clientError + " / server: " + serverError; }
  std::vector<std::string> peerNames() const {
    if (!peer) return {};
    return namesOf(peer.get());
  }
  /// Whether the server presented the (first) certificate of `pemFile`.
  bool served(const std::string& pemFile) const {
    return peer && X509_cmp(peer.get(), readCertificate(pemFile).get()) == 0;
  }
};

/// A client context that trusts only the test CA and verifies the server's chain.
inline SslCtxPtr clientContext(const ClientOptions& options) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  REQUIRE(ctx);
  REQUIRE(SSL_CTX_load_verify_locations(ctx.get(), certFile("ca.pem").c_str(), nullptr) == 1);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (options.minVersion != 0) {
    REQUIRE(SSL_CTX_set_min_proto_version(ctx.get(), options.minVersion) == 1);
    // TLS 1.0 and 1.1 sign with SHA-1/MD5, which security level 1 and up forbid: without this
    // the client could not even offer them, and the test would prove nothing about the server.
    if (options.minVersion < TLS1_2_VERSION) SSL_CTX_set_security_level(ctx.get(), 0);
  }
  if (options.maxVersion != 0)
    REQUIRE(SSL_CTX_set_max_proto_version(ctx.get(), options.maxVersion) == 1);
  return ctx;
}

namespace detail {

/// One SSL_do_handshake on one side; false when that side failed for good.
inline bool step(SSL* ssl, bool& done, std::string& error) {
  if (done) return true;
  const int r = SSL_do_handshake(ssl);
  if (r == 1) {
    done = true;
    return true;
  }
  const int code = SSL_get_error(ssl, r);
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) return true;
  error = "SSL_get_error " + std::to_string(code) + ": " + takeOpenSslErrors();
  return false;
}

}  // namespace detail

/// A whole handshake between a new client and server.newSession(), in memory, in at most
/// 100 rounds (a TLS handshake needs a handful).
inline Handshake handshake(const ratchet::detail::TlsContext& server,
                           const ClientOptions& options = {}) {
  ERR_clear_error();
  const SslCtxPtr clientCtx = clientContext(options);
  const SslPtr client(SSL_new(clientCtx.get()));
  const SslPtr serverSsl(server.newSession());
  REQUIRE(client);
  REQUIRE(serverSsl);
  REQUIRE(SSL_is_server(serverSsl.get()) == 1);

  BIO* clientEnd = nullptr;
  BIO* serverEnd = nullptr;
  REQUIRE(BIO_new_bio_pair(&clientEnd, 0, &serverEnd, 0) == 1);
  BioPtr clientBio(clientEnd);
  BioPtr serverBio(serverEnd);
  // Each SSL takes its end, for reading and writing.
  SSL_set_bio(client.get(), clientBio.get(), clientBio.get());
  clientBio.release();
  SSL_set_bio(serverSsl.get(), serverBio.get(), serverBio.get());
  serverBio.release();

  SSL_set_connect_state(client.get());
  if (!options.serverName.empty())
    REQUIRE(SSL_set_tlsext_host_name(client.get(), options.serverName.c_str()) == 1);
  if (!options.alpn.empty()) {
    std::string wire;
    for (const auto& protocol : options.alpn) wire += static_cast<char>(protocol.size()) + protocol;
    // 0 is success here, unlike the rest of OpenSSL.
    REQUIRE(SSL_set_alpn_protos(client.get(), reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned>(wire.size())) == 0);
  }
  if (!options.verifyHost.empty())
    REQUIRE(SSL_set1_host(client.get(), options.verifyHost.c_str()) == 1);

  Handshake result;
  bool clientDone = false;
  bool serverDone = false;
  for (int round = 0; round < 100 && !(clientDone && serverDone); ++round) {
    if (!detail::step(client.get(), clientDone, result.clientError)) {
      result.clientFailed = true;
      break;
    }
    if (!detail::step(serverSsl.get(), serverDone, result.serverError)) {
      result.serverFailed = true;
      break;
    }
  }
  result.ok = clientDone && serverDone;
  result.peer.reset(SSL_get1_peer_certificate(client.get()));
  const unsigned char* selected = nullptr;
  unsigned int selectedLength = 0;
  SSL_get0_alpn_selected(client.get(), &selected, &selectedLength);
  if (selected != nullptr)
    result.alpn.assign(reinterpret_cast<const char*>(selected), selectedLength);
  result.version = SSL_version(client.get());
  ERR_clear_error();
  return result;
}

/// A directory of its own under the system's temporary directory, removed with everything in
/// it at the end of the test.
struct TempDir {
  fs::path path;

  TempDir() {
    std::random_device random;
    const auto tag = std::to_string(random()) + std::to_string(random());
    path = fs::temp_directory_path() / ("ratchet-tls-" + tag);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(std::string_view name) const { return (path / name).string(); }
  std::string write(std::string_view name, std::string_view content) const {
    std::ofstream(path / name, std::ios::binary) << content;
    return file(name);
  }
};

}  // namespace test
