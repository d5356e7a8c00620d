// The server-side TLS context: every bad input is an error naming the file, and real
// handshakes (in memory) for SNI, ALPN, versions, verification and reloading.

#include "support.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

using ratchet::TlsCertificate;
using ratchet::TlsOptions;
using ratchet::TlsVersion;
using ratchet::detail::TlsContext;
using ratchet::detail::TlsContextSource;
using test::certFile;
using test::certificate;
using test::constructionError;
using test::handshake;
using test::serverOptions;

namespace {

using Names = std::vector<std::string>;

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

/// The default server-rsa plus a-test, wild-test and cn-only for SNI.
TlsOptions sniOptions() {
  auto options = serverOptions("server-rsa");
  options.sniCertificates = {certificate("a-test"), certificate("wild-test"),
                             certificate("cn-only")};
  return options;
}

}  // namespace

TEST_CASE("tls context: a missing certificate chain file is named") {
  auto options = serverOptions("server-rsa");
  options.certificateChainFile = certFile("missing-fullchain.pem");
  const auto error = constructionError(options);
  CHECK(contains(error, "TLS: cannot read certificate chain \"" +
                            certFile("missing-fullchain.pem") + "\": No such file or directory"));
}

TEST_CASE("tls context: a missing private key file is named") {
  auto options = serverOptions("server-rsa");
  options.privateKeyFile = certFile("missing-key.pem");
  const auto error = constructionError(options);
  CHECK(contains(error, "TLS: cannot read private key \"" + certFile("missing-key.pem") +
                            "\": No such file or directory"));
}

TEST_CASE("tls context: a directory instead of a file is named") {
  test::TempDir dir;
  auto options = serverOptions("server-rsa");
  options.certificateChainFile = dir.path.string();
  CHECK(contains(constructionError(options),
                 "cannot read certificate chain \"" + dir.path.string() + "\": Is a directory"));
}

TEST_CASE("tls context: no file names given") {
  CHECK(constructionError(TlsOptions{}) == "TLS: no certificate chain file given");
  auto options = serverOptions("server-rsa");
  options.privateKeyFile.clear();
  CHECK(constructionError(options) == "TLS: no private key file given");
  options = serverOptions("server-rsa");
  options.sniCertificates = {certificate("a-test"), TlsCertificate{certFile("a-test.pem"), {}, {}}};
  CHECK(constructionError(options) == "TLS: no private key file given (sniCertificates[1])");
}

TEST_CASE("tls context: garbage PEM is named with OpenSSL's reason") {
  test::TempDir dir;
  const auto garbage = dir.write("garbage.pem", "this is not PEM\n");

  auto options = serverOptions("server-rsa");
  options.certificateChainFile = garbage;
  auto error = constructionError(options);
  CHECK(contains(error, "TLS: cannot read certificate chain \"" + garbage + "\": "));
  CHECK(contains(error, "no start line"));

  options = serverOptions("server-rsa");
  options.privateKeyFile = garbage;
  error = constructionError(options);
  CHECK(contains(error,
                 "TLS: cannot read private key \"" + garbage + "\" (not a PEM private key?): "));

  // A key where the chain should be: PEM, but no certificate in it.
  options = serverOptions("server-rsa");
  options.certificateChainFile = certFile("server-rsa.key");
  error = constructionError(options);
  CHECK(
      contains(error, "TLS: cannot read certificate chain \"" + certFile("server-rsa.key") + "\""));

  // An empty file.
  options = serverOptions("server-rsa");
  options.certificateChainFile = dir.write("empty.pem", "");
  CHECK(contains(constructionError(options),
                 "cannot read certificate chain \"" + dir.file("empty.pem")));
}

TEST_CASE("tls context: a key that does not match its certificate") {
  auto options = serverOptions("server-rsa");
  options.privateKeyFile = certFile("other.key");
  auto error = constructionError(options);
  CHECK(contains(error, "TLS: private key \"" + certFile("other.key") +
                            "\" does not match certificate \"" + certFile("server-rsa.pem") +
                            "\""));
  CHECK(contains(error, "key values mismatch"));  // OpenSSL's reason

  // A key of another type (EC for an RSA certificate) too.
  options.privateKeyFile = certFile("server-ecdsa.key");
  error = constructionError(options);
  CHECK(contains(error, "TLS: private key \"" + certFile("server-ecdsa.key") +
                            "\" does not match certificate \"" + certFile("server-rsa.pem") +
                            "\" (the key is of another type)"));

  // In an SNI certificate as well.
  options = serverOptions("server-rsa");
  options.sniCertificates = {TlsCertificate{certFile("a-test.pem"), certFile("other.key"), {}}};
  CHECK(contains(constructionError(options),
                 "does not match certificate \"" + certFile("a-test.pem") + "\""));
}

TEST_CASE("tls context: an encrypted key needs its password") {
  auto options = serverOptions("server-rsa");
  options.privateKeyFile = certFile("server-encrypted.key");

  SUBCASE("none given: an error, not a prompt") {
    const auto error = constructionError(options);
    CHECK(contains(error, "TLS: private key \"" + certFile("server-encrypted.key") +
                              "\" is encrypted and no password was given"));
  }
  SUBCASE("a wrong one") {
    options.privateKeyPassword = "wrong-pass";
    const auto error = constructionError(options);
    CHECK(contains(error, "TLS: cannot decrypt private key \"" + certFile("server-encrypted.key") +
                              "\" (wrong password?)"));
    // (OpenSSL's own reason is not checked: with the random salt of a freshly made key, a
    // wrong password sometimes decrypts to bytes with valid padding, and then fails as a
    // malformed key instead of "bad decrypt".)
  }
  SUBCASE("the right one loads and serves") {
    options.privateKeyPassword = "test-pass";
    CHECK(constructionError(options).empty());
    const TlsContext context(options);
    const auto result = handshake(context, {.verifyHost = "localhost"});
    CHECK_MESSAGE(result.ok, result.why());
    CHECK(result.served(certFile("server-rsa.pem")));
  }
  SUBCASE("a password for a key that has none is harmless") {
    options = serverOptions("server-rsa");
    options.privateKeyPassword = "test-pass";
    CHECK(constructionError(options).empty());
  }
}

TEST_CASE("tls context: ALPN names must be 1 to 255 bytes") {
  auto options = serverOptions("server-rsa");
  options.alpn = {"h2", ""};
  CHECK(contains(constructionError(options), "ALPN protocol"));
  options.alpn = {std::string(256, 'x')};
  CHECK(contains(constructionError(options), "ALPN protocol"));
}

TEST_CASE("tls context: server names come from the SAN DNS entries, else the common name") {
  CHECK(TlsContext(serverOptions("server-rsa")).serverNames() == std::vector<Names>{{"localhost"}});
  CHECK(TlsContext(serverOptions("wild-test")).serverNames() ==
        std::vector<Names>{{"*.wild.test"}});
  CHECK(TlsContext(serverOptions("cn-only")).serverNames() == std::vector<Names>{{"cn.test"}});
  // In TlsOptions order, the default first.
  CHECK(TlsContext(sniOptions()).serverNames() ==
        std::vector<Names>{{"localhost"}, {"a.test"}, {"*.wild.test"}, {"cn.test"}});
}

TEST_CASE("tls context: a full chain file loads and verifies") {
  auto options = serverOptions("server-rsa");
  options.certificateChainFile = certFile("fullchain-rsa.pem");
  const TlsContext context(options);
  CHECK(context.serverNames() == std::vector<Names>{{"localhost"}});
  const auto result = handshake(context, {.verifyHost = "localhost"});
  CHECK_MESSAGE(result.ok, result.why());
  CHECK(result.served(certFile("server-rsa.pem")));
}

TEST_CASE("tls context: SNI picks the certificate") {
  const TlsContext context(sniOptions());

  SUBCASE("an exact name") {
    const auto result = handshake(context, {.serverName = "a.test", .verifyHost = "a.test"});
    REQUIRE_MESSAGE(result.ok, result.why());
    CHECK(result.peerNames() == Names{"a.test"});
    CHECK(result.served(certFile("a-test.pem")));
  }
  SUBCASE("case does not matter") {
    const auto result = handshake(context, {.serverName = "A.Test"});
    REQUIRE_MESSAGE(result.ok, result.why());
    CHECK(result.served(certFile("a-test.pem")));
  }
  SUBCASE("a wildcard matches one label") {
    const auto result =
        handshake(context, {.serverName = "x.wild.test", .verifyHost = "x.wild.test"});
    REQUIRE_MESSAGE(result.ok, result.why());
    CHECK(result.peerNames() == Names{"*.wild.test"});
    CHECK(result.served(certFile("wild-test.pem")));
  }
  SUBCASE("the common name of a certificate without SAN") {
    const auto result = handshake(context, {.serverName = "cn.test"});
    REQUIRE_MESSAGE(result.ok, result.why());
    CHECK(result.served(certFile("cn-only.pem")));
  }
  SUBCASE("a wildcard matches neither two labels nor none") {
    for (const std::string name : {"a.b.wild.test", "wild.test", ".wild.test"}) {
      CAPTURE(name);
      const auto result = handshake(context, {.serverName = name});
      REQUIRE_MESSAGE(result.ok, result.why());
      CHECK(result.peerNames() == Names{"localhost"});
      CHECK(result.served(certFile("server-rsa.pem")));
    }
  }
  SUBCASE("an unknown name gets the default") {
    const auto result = handshake(context, {.serverName = "unknown.test"});
    REQUIRE_MESSAGE(result.ok, result.why());
    CHECK(result.served(certFile("server-rsa.pem")));
  }
  SUBCASE("no SNI gets the default, which verifies for localhost") {
    const auto result = handshake(context, {.verifyHost = "localhost"});
    REQUIRE_MESSAGE(result.ok, result.why());
    CHECK(result.served(certFile("server-rsa.pem")));
  }
}

TEST_CASE("tls context: an exact name wins over a wildcard") {
  auto options = serverOptions("server-rsa");
  // The wildcard comes first, so order alone would pick it.
  options.sniCertificates = {certificate("wild-test"), certificate("exact-wild-test")};
  const TlsContext context(options);

  auto result = handshake(context, {.serverName = "exact.wild.test"});
  REQUIRE_MESSAGE(result.ok, result.why());
  CHECK(result.served(certFile("exact-wild-test.pem")));

  result = handshake(context, {.serverName = "other.wild.test"});
  REQUIRE_MESSAGE(result.ok, result.why());
  CHECK(result.served(certFile("wild-test.pem")));
}

TEST_CASE("tls context: ALPN with the server's preference") {
  auto options = sniOptions();

  SUBCASE("the first of ours the client offers") {
    options.alpn = {"http/1.1"};
    const TlsContext context(options);
    const auto result = handshake(context, {.alpn = {"h2", "http/1.1"}});
    REQUIRE_MESSAGE(result.ok, result.why());
    CHECK(result.alpn == "http/1.1");
  }
  SUBCASE("ours in our order, whatever the client's order") {
    options.alpn = {"h2", "http/1.1"};
    const TlsContext context(options);
    const auto result = handshake(context, {.alpn = {"http/1.1", "h2"}});
    REQUIRE_MESSAGE(result.ok, result.why());
    CHECK(result.alpn == "h2");
  }
  SUBCASE("no common protocol still connects, without one") {
    options.alpn = {"http/1.1"};
    const TlsContext context(options);
    const auto result = handshake(context, {.alpn = {"h2"}});
    REQUIRE_MESSAGE(result.ok, result.why());
    CHECK(result.alpn.empty());
  }
  SUBCASE("after an SNI switch too") {
    options.alpn = {"http/1.1"};
    const TlsContext context(options);
    const auto result = handshake(context, {.serverName = "a.test", .alpn = {"h2", "http/1.1"}});
    REQUIRE_MESSAGE(result.ok, result.why());
    CHECK(result.served(certFile("a-test.pem")));
    CHECK(result.alpn == "http/1.1");
  }
  SUBCASE("a client without ALPN") {
    const TlsContext context(options);
    const auto result = handshake(context);
    REQUIRE_MESSAGE(result.ok, result.why());
    CHECK(result.alpn.empty());
  }
  SUBCASE("no ALPN configured selects nothing") {
    options.alpn.clear();
    const TlsContext context(options);
    const auto result = handshake(context, {.alpn = {"http/1.1"}});
    REQUIRE_MESSAGE(result.ok, result.why());
    CHECK(result.alpn.empty());
  }
}

TEST_CASE("tls context: the minimum version") {
  SUBCASE("TLS 1.1 is refused by default (by the server)") {
    const TlsContext context(serverOptions("server-rsa"));
    const auto result =
        handshake(context, {.minVersion = TLS1_VERSION, .maxVersion = TLS1_1_VERSION});
    CHECK_FALSE(result.ok);
    CHECK(result.serverFailed);
    CHECK_MESSAGE(contains(result.serverError, "unsupported protocol"), result.serverError);
  }
  SUBCASE("TLS 1.2 is accepted by default") {
    const TlsContext context(serverOptions("server-rsa"));
    const auto result = handshake(context, {.maxVersion = TLS1_2_VERSION});
    REQUIRE_MESSAGE(result.ok, result.why());
    CHECK(result.version == TLS1_2_VERSION);
  }
  SUBCASE("tls1_3 refuses a client capped at TLS 1.2") {
    auto options = serverOptions("server-rsa");
    options.minVersion = TlsVersion::tls1_3;
    const TlsContext context(options);
    const auto refused = handshake(context, {.maxVersion = TLS1_2_VERSION});
    CHECK_FALSE(refused.ok);
    CHECK(refused.serverFailed);
    CHECK_MESSAGE(contains(refused.serverError, "unsupported protocol"), refused.serverError);

    const auto accepted = handshake(context);
    REQUIRE_MESSAGE(accepted.ok, accepted.why());
    CHECK(accepted.version == TLS1_3_VERSION);
  }
  SUBCASE("SNI certificates share the minimum version") {
    auto options = sniOptions();
    options.minVersion = TlsVersion::tls1_3;
    const TlsContext context(options);
    const auto result = handshake(context, {.serverName = "a.test", .maxVersion = TLS1_2_VERSION});
    CHECK_FALSE(result.ok);
    CHECK(result.serverFailed);
  }
}

TEST_CASE("tls context: the client verifies the chain and the host name") {
  for (const std::string base : {"server-rsa", "server-ecdsa"}) {
    CAPTURE(base);
    const TlsContext context(serverOptions(base));
    for (const int maxVersion : {TLS1_2_VERSION, TLS1_3_VERSION}) {
      CAPTURE(maxVersion);
      const auto result = handshake(context, {.maxVersion = maxVersion, .verifyHost = "localhost"});
      REQUIRE_MESSAGE(result.ok, result.why());
      CHECK(result.version == maxVersion);
      CHECK(result.served(certFile(base + ".pem")));
    }
    // The check is real: another name fails on the client.
    const auto wrongHost = handshake(context, {.verifyHost = "a.test"});
    CHECK_FALSE(wrongHost.ok);
    CHECK(wrongHost.clientFailed);
    CHECK_MESSAGE(contains(wrongHost.clientError, "certificate verify failed"),
                  wrongHost.clientError);
  }
}

TEST_CASE("tls context: each new session starts on the default certificate") {
  const TlsContext context(sniOptions());
  const test::SslPtr ssl(context.newSession());
  REQUIRE(ssl);
  CHECK(SSL_is_server(ssl.get()) == 1);
  CHECK(test::namesOf(SSL_get_certificate(ssl.get())) == Names{"localhost"});
}

TEST_CASE("tls context source: reload serves the new files, old contexts keep the old") {
  test::TempDir dir;
  const auto pem = dir.file("current.pem");
  const auto key = dir.file("current.key");
  using std::filesystem::copy_file;
  using std::filesystem::copy_options;
  copy_file(certFile("server-rsa.pem"), pem);
  copy_file(certFile("server-rsa.key"), key);
  TlsOptions options;
  options.certificateChainFile = pem;
  options.privateKeyFile = key;

  TlsContextSource source(options);
  const auto before = source.current();
  REQUIRE(before);
  CHECK(source.current() == before);  // the same until a reload
  CHECK(handshake(*before).served(certFile("server-rsa.pem")));

  copy_file(certFile("a-test.pem"), pem, copy_options::overwrite_existing);
  copy_file(certFile("a-test.key"), key, copy_options::overwrite_existing);
  REQUIRE(source.reload());
  const auto after = source.current();
  REQUIRE(after);
  CHECK(after != before);
  CHECK(after->serverNames() == std::vector<Names>{{"a.test"}});
  auto result = handshake(*after, {.verifyHost = "a.test"});
  CHECK_MESSAGE(result.ok, result.why());
  CHECK(result.served(certFile("a-test.pem")));
  // A connection's context from before goes on with what it read then.
  result = handshake(*before, {.verifyHost = "localhost"});
  CHECK_MESSAGE(result.ok, result.why());
  CHECK(result.served(certFile("server-rsa.pem")));
}

TEST_CASE("tls context source: a failed reload keeps the current context") {
  test::TempDir dir;
  const auto pem = dir.file("current.pem");
  const auto key = dir.file("current.key");
  std::filesystem::copy_file(certFile("server-rsa.pem"), pem);
  std::filesystem::copy_file(certFile("server-rsa.key"), key);
  TlsOptions options;
  options.certificateChainFile = pem;
  options.privateKeyFile = key;

  TlsContextSource source(options);
  const auto before = source.current();

  SUBCASE("a file is gone") {
    std::filesystem::remove(key);
    CHECK_FALSE(source.reload());
  }
  SUBCASE("a key that does not match the new certificate") {
    std::filesystem::copy_file(certFile("a-test.pem"), pem,
                               std::filesystem::copy_options::overwrite_existing);
    CHECK_FALSE(source.reload());
  }
  CHECK(source.current() == before);
  CHECK(handshake(*source.current()).served(certFile("server-rsa.pem")));
}

TEST_CASE("tls context source: the first context must load") {
  auto options = serverOptions("server-rsa");
  options.privateKeyFile = certFile("missing.key");
  CHECK_THROWS_WITH_AS(TlsContextSource{options}, doctest::Contains("cannot read private key"),
                       std::runtime_error);
}
