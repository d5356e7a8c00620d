#pragma once
// The server side of TLS for one listening port (framework-internal): one OpenSSL SSL_CTX
// per certificate, the one a handshake uses picked by the client's SNI server name.

#include "ratchet/options.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

using SSL = struct ssl_st;
using SSL_CTX = struct ssl_ctx_st;

namespace ratchet::detail {

/// Immutable once built: the certificates of TlsOptions loaded into SSL_CTXs that share the
/// protocol settings (minimum version, ALPN, OpenSSL's default ciphers and groups).
///
/// Lifetime: shared. Each connection keeps the context it was created from for its whole
/// life (its SSL refers to the SSL_CTXs and the SNI callback to this object), so a reload
/// can replace the context a server hands out while older connections go on.
class TlsContext {
 public:
  /// Reads every file now. Throws std::runtime_error naming the file and OpenSSL's reason
  /// when a chain or key cannot be read or parsed, a key is encrypted and the password is
  /// wrong or missing, or a key does not match its certificate.
  explicit TlsContext(const TlsOptions& options);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  /// A new server-side SSL in accept state on the default certificate; SNI switches it to
  /// another during the handshake. The caller owns it (SSL_free). Null only when OpenSSL is
  /// out of memory.
  SSL* newSession() const;

  /// The names each certificate answers to, in TlsOptions order (the default first): its
  /// subjectAltName DNS entries, else its subject common name.
  const std::vector<std::vector<std::string>>& serverNames() const noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// The context a server hands to new connections, replaceable while it runs.
/// Thread-safe.
class TlsContextSource {
 public:
  /// Builds the first context; throws as TlsContext does.
  explicit TlsContextSource(TlsOptions options);

  /// The context for a new connection.
  std::shared_ptr<const TlsContext> current() const;

  /// Reads the files again. On success new handshakes use them and it returns true; on
  /// failure it logs why (a warning naming the file), keeps the current context and returns
  /// false. Open connections are not touched either way.
  bool reload();

 private:
  const TlsOptions options_;
  mutable std::mutex mutex_;
  std::shared_ptr<const TlsContext> current_;
};

}  // namespace ratchet::detail
