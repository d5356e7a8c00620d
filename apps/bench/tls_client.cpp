#include "tls_client.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>

namespace bench {

TlsContext::TlsContext() : ctx_(SSL_CTX_new(TLS_client_method())) {
  if (!ctx_) throw std::runtime_error("SSL_CTX_new failed");
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);  // loopback load generator
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  // Every connection must pay for a full handshake: nothing is kept to resume with.
  SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
  // Record buffers are freed once empty (and see read()).
  SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS);
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

TlsClient::~TlsClient() {
  reset();
}

void TlsClient::reset() {
  SSL_free(ssl_);  // and both BIOs
  ssl_ = nullptr;
  in_ = out_ = nullptr;
  shutdownSent_ = false;
}

bool TlsClient::start(const TlsContext& ctx, const std::string& serverName) {
  reset();
  ERR_clear_error();
  ssl_ = SSL_new(ctx.native());
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (!ssl_ || !in_ || !out_) {
    BIO_free(in_);
    BIO_free(out_);
    in_ = out_ = nullptr;
    fail("SSL_new");
    reset();
    return false;
  }
  BIO_set_mem_eof_return(in_, -1);  // empty means "more to come", not end of stream
  SSL_set_bio(ssl_, in_, out_);
  SSL_set_connect_state(ssl_);
  if (!serverName.empty() && SSL_set_tlsext_host_name(ssl_, serverName.c_str()) != 1) {
    fail("SNI");
    return false;
  }
  return handshake() != Status::error;  // queues the ClientHello
}

void TlsClient::feed(const char* p, std::size_t n) {
  if (ssl_ && n > 0) BIO_write(in_, p, static_cast<int>(n));  // a memory BIO takes it all
}

TlsClient::Status TlsClient::fail(const char* what, int sslError) {
  error_ = what;
  if (sslError != 0) error_ += " (SSL_get_error " + std::to_string(sslError) + ")";
  // The queue holds the reason (e.g. a handshake alert); its first entry is the cause.
  if (const unsigned long e = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    error_ += ": ";
    error_ += text;
  }
  ERR_clear_error();
  return Status::error;
}

TlsClient::Status TlsClient::handshake() {
  ERR_clear_error();  // SSL_get_error needs an empty queue to be reliable
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) return Status::done;
  const int e = SSL_get_error(ssl_, r);
  return e == SSL_ERROR_WANT_READ ? Status::ok : fail("TLS handshake", e);
}

TlsClient::Status TlsClient::read(char* out, std::size_t capacity, std::size_t& bytes) {
  bytes = 0;
  if (BIO_ctrl_pending(in_) == 0 && !SSL_has_pending(ssl_)) {
    // All input is decrypted: give the record buffers back (16.5 KB that
    // SSL_MODE_RELEASE_BUFFERS alone leaves allocated), so an idle wss connection costs the
    // client about 24 KB of RSS rather than 38 KB. A busy one reallocates them: cheap next
    // to the AEAD.
    SSL_free_buffers(ssl_);
    return Status::ok;
  }
  ERR_clear_error();
  if (SSL_read_ex(ssl_, out, capacity, &bytes) == 1) return Status::ok;
  switch (const int e = SSL_get_error(ssl_, 0)) {
    case SSL_ERROR_WANT_READ:
      return Status::ok;
    case SSL_ERROR_ZERO_RETURN:
      return Status::closed;
    default:
      return fail("TLS read", e);
  }
}

bool TlsClient::write(const char* p, std::size_t n) {
  ERR_clear_error();
  std::size_t written = 0;
  // A memory BIO never blocks, so SSL_write_ex takes everything or fails.
  if (n == 0 || SSL_write_ex(ssl_, p, n, &written) == 1) return true;
  fail("TLS write", SSL_get_error(ssl_, 0));
  return false;
}

bool TlsClient::write(const std::vector<boost::asio::const_buffer>& buffers) {
  if (buffers.size() == 1)
    return write(static_cast<const char*>(buffers[0].data()), buffers[0].size());
  // Joined first: a record per buffer would cost a header, a tag and an AEAD call each.
  // One scratch per thread is enough, as SSL_write_ex copies before it returns.
  thread_local std::string joined;
  joined.clear();
  for (const auto& b : buffers) joined.append(static_cast<const char*>(b.data()), b.size());
  return write(joined.data(), joined.size());
}

void TlsClient::shutdown() {
  if (!ssl_ || shutdownSent_) return;
  shutdownSent_ = true;
  ERR_clear_error();
  SSL_shutdown(ssl_);  // 0: sent, the server's may follow; 1: both done. Either is fine.
  ERR_clear_error();
}

bool TlsClient::takeOutput(std::string& out) {
  out.clear();
  if (!ssl_) return false;
  const std::size_t pending = BIO_ctrl_pending(out_);
  if (pending == 0) return false;
  out.resize(pending);
  const int n = BIO_read(out_, out.data(), static_cast<int>(pending));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return !out.empty();
}

}  // namespace bench
