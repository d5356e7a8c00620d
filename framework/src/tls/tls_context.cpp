#include "tls/tls_context.hpp"

#include "ratchet/log.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

namespace ratchet::detail {

namespace {

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

struct GeneralNamesDeleter {
  void operator()(GENERAL_NAMES* names) const noexcept { GENERAL_NAMES_free(names); }
};
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter>;

struct OpenSslStringDeleter {
  void operator()(unsigned char* s) const noexcept { OPENSSL_free(s); }
};

/// Drains the calling thread's OpenSSL error queue, oldest (usually the root cause) first.
std::vector<unsigned long> takeErrors() {
  std::vector<unsigned long> errors;
  while (const unsigned long e = ERR_get_error()) errors.push_back(e);
  return errors;
}

/// The reasons of `errors`, e.g. "no start line"; distinct ones joined by "; ".
std::string describe(const std::vector<unsigned long>& errors) {
  std::string out;
  for (const unsigned long e : errors) {
    // "error:<code>:<library>:<function>:<reason>"; ERR_reason_error_string would be shorter
    // but knows no system errors (errno reasons such as "No such file or directory").
    char buffer[256];
    ERR_error_string_n(e, buffer, sizeof buffer);
    std::string_view reason = buffer;
    for (int colons = 0; colons < 4; ++colons) {
      const auto at = reason.find(':');
      if (at == std::string_view::npos) {
        reason = buffer;  // not the documented format: keep all of it
        break;
      }
      reason.remove_prefix(at + 1);
    }
    if (reason.empty() || out.find(reason) != std::string::npos) continue;
    if (!out.empty()) out += "; ";
    out += reason;
  }
  return out.empty() ? std::string("unknown OpenSSL error") : out;
}

/// One std::runtime_error for every failure: "TLS: <what>: <OpenSSL's reasons>".
[[noreturn]] void fail(std::string_view what, const std::vector<unsigned long>& errors) {
  throw std::runtime_error(fmt::format("TLS: {}: {}", what, describe(errors)));
}

/// A clear message for a file that is not there (or not readable) before OpenSSL tries it.
void requireReadable(const std::string& path, std::string_view what) {
  std::error_code error;
  if (std::FILE* file = std::fopen(path.c_str(), "rb")) {
    std::fclose(file);
    // fopen opens a directory too; reading it would fail with a less clear reason.
    std::error_code ignored;
    if (std::filesystem::is_directory(path, ignored))
      error = std::make_error_code(std::errc::is_a_directory);
  } else {
    error = std::error_code(errno, std::generic_category());
  }
  if (error)
    throw std::runtime_error(
        fmt::format("TLS: cannot read {} \"{}\": {}", what, path, error.message()));
}

bool isKeyMismatch(const std::vector<unsigned long>& errors) {
  for (const unsigned long e : errors) {
    const int reason = ERR_GET_REASON(e);
    if (ERR_GET_LIB(e) == ERR_LIB_X509 &&
        (reason == X509_R_KEY_VALUES_MISMATCH || reason == X509_R_KEY_TYPE_MISMATCH))
      return true;
  }
  return false;
}

/// What the password callback supplies for one key file, and whether it was asked at all
/// (only for an encrypted key).
struct PasswordRequest {
  const std::string* password = nullptr;
  bool asked = false;
};

/// Never prompts: without our callback OpenSSL would ask on the terminal.
int supplyPassword(char* buffer, int size, int /*rwflag*/, void* userdata) {
  auto* request = static_cast<PasswordRequest*>(userdata);
  if (request == nullptr || request->password == nullptr) return -1;
  request->asked = true;
  const std::string& password = *request->password;
  if (password.empty() || size < 0 || password.size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buffer, password.data(), password.size());
  return static_cast<int>(password.size());
}

/// A DNS name or common name from a certificate; empty when it has an embedded NUL.
std::string nameFrom(const unsigned char* data, int length) {
  if (data == nullptr || length <= 0) return {};
  const std::string_view name(reinterpret_cast<const char*>(data),
                              static_cast<std::size_t>(length));
  if (name.find('\0') != std::string_view::npos) return {};
  return std::string(name);
}

/// The names a leaf certificate answers to: its subjectAltName DNS entries, else its subject
/// common name (RFC 6125 prefers the SAN when there is one).
std::vector<std::string> certificateNames(X509* leaf) {
  std::vector<std::string> names;
  const GeneralNamesPtr san(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr)));
  if (san) {
    for (int i = 0; i < sk_GENERAL_NAME_num(san.get()); ++i) {
      const GENERAL_NAME* entry = sk_GENERAL_NAME_value(san.get(), i);
      if (entry->type != GEN_DNS) continue;
      auto name =
          nameFrom(ASN1_STRING_get0_data(entry->d.dNSName), ASN1_STRING_length(entry->d.dNSName));
      if (!name.empty()) names.push_back(std::move(name));
    }
  }
  if (!names.empty()) return names;

  X509_NAME* subject = X509_get_subject_name(leaf);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return names;
  unsigned char* utf8 = nullptr;
  const int length =
      ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
  const std::unique_ptr<unsigned char, OpenSslStringDeleter> owned(utf8);
  if (auto name = nameFrom(utf8, length); !name.empty()) names.push_back(std::move(name));
  return names;
}

char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// DNS names compare case-insensitively (ASCII only: IDNs arrive as punycode).
bool equalsIgnoringCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

/// "*.example.com" matches one extra left-most label: "a.example.com", not "example.com" nor
/// "a.b.example.com".
bool matchesWildcard(std::string_view pattern, std::string_view host) noexcept {
  if (!pattern.starts_with("*.") || pattern.size() < 3) return false;
  const std::string_view suffix = pattern.substr(1);  // ".example.com"
  if (host.size() <= suffix.size()) return false;
  const std::string_view label = host.substr(0, host.size() - suffix.size());
  return label.find('.') == std::string_view::npos &&
         equalsIgnoringCase(host.substr(label.size()), suffix);
}

int protocolVersion(TlsVersion version) {
  switch (version) {
    case TlsVersion::tls1_2:
      return TLS1_2_VERSION;
    case TlsVersion::tls1_3:
      return TLS1_3_VERSION;
  }
  throw std::runtime_error("TLS: unknown minimum version");
}

int selectCertificate(SSL* ssl, int* alert, void* arg);
int selectAlpn(SSL* ssl, const unsigned char** out, unsigned char* outLength,
               const unsigned char* in, unsigned int inLength, void* arg);

}  // namespace

struct TlsContext::Impl {
  /// One per certificate in TlsOptions order; [0] is the default.
  std::vector<SslCtxPtr> contexts;
  std::vector<std::vector<std::string>> names;
  /// ALPN protocols in order of preference; empty: no ALPN.
  std::vector<std::string> alpn;

  /// The context for a client's SNI name: an exact name first, else a wildcard, else null.
  SSL_CTX* find(std::string_view serverName) const noexcept {
    if (serverName.ends_with('.')) serverName.remove_suffix(1);  // absolute form "a.test."
    for (std::size_t i = 0; i < contexts.size(); ++i)
      for (const auto& name : names[i])
        if (equalsIgnoringCase(name, serverName)) return contexts[i].get();
    for (std::size_t i = 0; i < contexts.size(); ++i)
      for (const auto& name : names[i])
        if (matchesWildcard(name, serverName)) return contexts[i].get();
    return nullptr;
  }

  /// Builds the SSL_CTX for one certificate; `label` tells which in messages about options.
  void add(const TlsCertificate& certificate, int minVersion, std::string_view label) {
    const std::string& chainFile = certificate.certificateChainFile;
    const std::string& keyFile = certificate.privateKeyFile;
    if (chainFile.empty())
      throw std::runtime_error(fmt::format("TLS: no certificate chain file given{}", label));
    if (keyFile.empty())
      throw std::runtime_error(fmt::format("TLS: no private key file given{}", label));

    SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
    if (!ctx) fail("cannot create an SSL context", takeErrors());
    if (SSL_CTX_set_min_proto_version(ctx.get(), minVersion) != 1)
      fail("cannot set the minimum protocol version", takeErrors());
    // Compression invites CRIME; renegotiation is a DoS lever and our transport never needs it.
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);

    PasswordRequest password{&certificate.privateKeyPassword};
    SSL_CTX_set_default_passwd_cb(ctx.get(), supplyPassword);
    SSL_CTX_set_default_passwd_cb_userdata(ctx.get(), &password);

    requireReadable(chainFile, "certificate chain");
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), chainFile.c_str()) != 1)
      fail(fmt::format("cannot read certificate chain \"{}\"", chainFile), takeErrors());

    requireReadable(keyFile, "private key");
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), keyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
      const auto errors = takeErrors();
      if (isKeyMismatch(errors))
        fail(
            fmt::format("private key \"{}\" does not match certificate \"{}\"", keyFile, chainFile),
            errors);
      if (password.asked && certificate.privateKeyPassword.empty())
        fail(fmt::format("private key \"{}\" is encrypted and no password was given", keyFile),
             errors);
      if (password.asked)
        fail(fmt::format("cannot decrypt private key \"{}\" (wrong password?)", keyFile), errors);
      // OpenSSL 3 says "unsupported" for anything its decoders do not recognize.
      fail(fmt::format("cannot read private key \"{}\" (not a PEM private key?)", keyFile), errors);
    }
    // A key of another type than the certificate's loads into a slot of its own, which has
    // no certificate: OpenSSL then says "no certificate assigned", which needs explaining.
    if (SSL_CTX_check_private_key(ctx.get()) != 1) {
      const auto errors = takeErrors();
      const bool otherType = std::any_of(errors.begin(), errors.end(), [](unsigned long e) {
        return ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_NO_CERTIFICATE_ASSIGNED;
      });
      fail(fmt::format("private key \"{}\" does not match certificate \"{}\"{}", keyFile, chainFile,
                       otherType ? " (the key is of another type)" : ""),
           errors);
    }
    // `password` lives on this stack frame only; nothing reads a key after this.
    SSL_CTX_set_default_passwd_cb_userdata(ctx.get(), nullptr);

    X509* leaf = SSL_CTX_get0_certificate(ctx.get());
    if (leaf == nullptr) fail(fmt::format("no certificate in \"{}\"", chainFile), takeErrors());

    SSL_CTX_set_tlsext_servername_callback(ctx.get(), selectCertificate);
    SSL_CTX_set_tlsext_servername_arg(ctx.get(), this);
    // Per SSL_CTX: after an SNI switch OpenSSL asks the new context's callback.
    if (!alpn.empty()) SSL_CTX_set_alpn_select_cb(ctx.get(), selectAlpn, this);

    names.push_back(certificateNames(leaf));
    contexts.push_back(std::move(ctx));
  }
};

namespace {

int selectCertificate(SSL* ssl, int* /*alert*/, void* arg) {
  const auto* impl = static_cast<const TlsContext::Impl*>(arg);
  const char* serverName = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (impl == nullptr || serverName == nullptr) return SSL_TLSEXT_ERR_OK;  // the default
  SSL_CTX* chosen = impl->find(serverName);
  if (chosen != nullptr && chosen != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, chosen);
  return SSL_TLSEXT_ERR_OK;
}

/// Server preference: our first protocol the client offers. None: connect without ALPN.
int selectAlpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* outLength,
               const unsigned char* in, unsigned int inLength, void* arg) {
  const auto* impl = static_cast<const TlsContext::Impl*>(arg);
  for (const std::string& wanted : impl->alpn) {
    // The client's list: length-prefixed names (RFC 7301).
    for (unsigned int i = 0; i < inLength;) {
      const unsigned int length = in[i];
      if (length == 0 || length > inLength - i - 1) break;  // malformed: stop reading it
      if (length == wanted.size() && std::memcmp(in + i + 1, wanted.data(), length) == 0) {
        *out = in + i + 1;
        *outLength = static_cast<unsigned char>(length);
        return SSL_TLSEXT_ERR_OK;
      }
      i += 1 + length;
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

TlsContext::TlsContext(const TlsOptions& options) : impl_(std::make_unique<Impl>()) {
  for (const auto& protocol : options.alpn) {
    if (protocol.empty() || protocol.size() > 255)
      throw std::runtime_error(
          fmt::format("TLS: ALPN protocol \"{}\" must be 1 to 255 bytes long", protocol));
  }
  impl_->alpn = options.alpn;

  const int minVersion = protocolVersion(options.minVersion);
  ERR_clear_error();  // whatever an earlier caller left on this thread is not our reason
  impl_->add({options.certificateChainFile, options.privateKeyFile, options.privateKeyPassword},
             minVersion, "");
  for (std::size_t i = 0; i < options.sniCertificates.size(); ++i)
    impl_->add(options.sniCertificates[i], minVersion, fmt::format(" (sniCertificates[{}])", i));
  ERR_clear_error();
}

TlsContext::~TlsContext() = default;

SSL* TlsContext::newSession() const {
  SSL* ssl = SSL_new(impl_->contexts.front().get());
  if (ssl == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return ssl;
}

const std::vector<std::vector<std::string>>& TlsContext::serverNames() const noexcept {
  return impl_->names;
}

TlsContextSource::TlsContextSource(TlsOptions options)
    : options_(std::move(options)), current_(std::make_shared<const TlsContext>(options_)) {}

std::shared_ptr<const TlsContext> TlsContextSource::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

bool TlsContextSource::reload() {
  // Read the files outside the lock: new connections keep getting the current context.
  std::shared_ptr<const TlsContext> next;
  try {
    next = std::make_shared<const TlsContext>(options_);
  } catch (const std::exception& e) {
    log::warn("TLS reload failed, keeping the current certificates: {}", e.what());
    return false;
  }
  const std::size_t count = next->serverNames().size();
  {
    std::lock_guard lock(mutex_);
    current_.swap(next);
  }
  // `next` now holds the previous context: released here, or by its last connection.
  log::info("TLS certificates reloaded ({} certificate{})", count, count == 1 ? "" : "s");
  return true;
}

}  // namespace ratchet::detail
