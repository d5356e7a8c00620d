#pragma once
// The client side of TLS for wss:// targets, sans-I/O: OpenSSL works on two memory BIOs, so
// Connection keeps its own socket, read buffer and write loop and only passes ciphertext
// through. Compared with asio::ssl::stream this allocates on demand (no fixed ~70 KB of
// buffers per connection, which matters at 100k idle connections) and turns each gathered
// write into one TLS record instead of one record and one syscall per buffer.
//
// A load generator on loopback: the server's certificate is not verified. Sessions are
// never resumed, so every connection makes a full handshake.

#include <openssl/types.h>  // SSL_CTX, SSL, BIO: declarations only
#include <boost/asio/buffer.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace bench {

/// What every connection of a run shares: the SSL_CTX (TLS client, no verification, no
/// session cache). Thread-safe once built.
class TlsContext {
 public:
  TlsContext();  // throws std::runtime_error
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  SSL_CTX* native() const noexcept { return ctx_; }

 private:
  SSL_CTX* ctx_ = nullptr;
};

class TlsClient {
 public:
  enum class Status {
    ok,      // progress, or more input needed
    done,    // handshake(): complete
    closed,  // read(): the server's close_notify arrived
    error,   // see error()
  };

  TlsClient() = default;
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  /// Starts a new session (a fresh SSL object: a full handshake) and queues the ClientHello.
  /// `serverName` is sent as SNI unless empty.
  bool start(const TlsContext& ctx, const std::string& serverName);
  /// Frees the session.
  void reset();
  bool active() const noexcept { return ssl_ != nullptr; }

  /// Ciphertext from the socket.
  void feed(const char* p, std::size_t n);
  /// Continues the handshake with what was fed; `done` once it is complete.
  Status handshake();
  /// Decrypts into `out` (at most `capacity` bytes); `bytes` is 0 when more input is needed.
  Status read(char* out, std::size_t capacity, std::size_t& bytes);
  /// Encrypts `buffers` as one record (or more, beyond 16 KiB) into the output.
  bool write(const std::vector<boost::asio::const_buffer>& buffers);
  bool write(const char* p, std::size_t n);
  /// Queues our close_notify (once).
  void shutdown();
  /// Moves the ciphertext to send into `out` (replacing its contents); false when none.
  bool takeOutput(std::string& out);
  /// The reason of the last `error`, from OpenSSL's error queue.
  const std::string& error() const noexcept { return error_; }

 private:
  Status fail(const char* what, int sslError = 0);

  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // network -> OpenSSL (owned by ssl_)
  BIO* out_ = nullptr;  // OpenSSL -> network (owned by ssl_)
  std::string error_;
  bool shutdownSent_ = false;
};

}  // namespace bench
