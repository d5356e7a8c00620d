#include "tls/tls_transport.hpp"

#include "ratchet/log.hpp"

#include "tls/tls_context.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstring>

namespace ratchet::detail {

namespace {

// OpenSSL's reason for the last failure on this thread, and the queue emptied for the next
// call (SSL_get_error needs it empty).
std::string takeOpenSslError() {
  const unsigned long code = ERR_get_error();
  const char* reason = code ? ERR_reason_error_string(code) : nullptr;
  std::string text = reason ? reason : code ? "error " + std::to_string(code) : "connection closed";
  ERR_clear_error();
  return text;
}

// A message larger than this goes out as two TLS records (header, payload) rather than
// being copied together first; below it, one record.
constexpr std::size_t kJoinLimit = 16 * 1024;

constexpr std::string_view kPlainHttpAnswer =
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 41\r\nConnection: close\r\n\r\n"
    "This port speaks HTTPS: use an https URL\n";

}  // namespace

// The BIO between OpenSSL and the lower transport: reads come from the bytes being handled
// in onBytes, writes go into the lower transport's queue.
struct TlsBio {
  static TlsTransport& of(BIO* bio) { return *static_cast<TlsTransport*>(BIO_get_data(bio)); }

  static int write(BIO* bio, const char* data, int size) {
    BIO_clear_retry_flags(bio);
    return of(bio).lower_->write(std::string_view(data, static_cast<std::size_t>(size)), {}, true)
               ? size
               : -1;
  }
  static int read(BIO* bio, char* out, int size) {
    BIO_clear_retry_flags(bio);
    auto& input = of(bio).input_;
    if (input.empty()) {
      BIO_set_retry_read(bio);
      return -1;
    }
    const auto n = std::min(input.size(), static_cast<std::size_t>(size));
    std::memcpy(out, input.data(), n);
    input.remove_prefix(n);
    return static_cast<int>(n);
  }
  static long ctrl(BIO* bio, int cmd, long, void*) {
    switch (cmd) {
      case BIO_CTRL_FLUSH:
      case BIO_CTRL_DUP:
        return 1;
      case BIO_CTRL_PENDING:
        return static_cast<long>(of(bio).input_.size());
      default:
        return 0;
    }
  }
  static int create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
  }

  static BIO_METHOD* method() {
    static BIO_METHOD* const m = [] {
      auto* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ratchet transport");
      BIO_meth_set_write(m, &TlsBio::write);
      BIO_meth_set_read(m, &TlsBio::read);
      BIO_meth_set_ctrl(m, &TlsBio::ctrl);
      BIO_meth_set_create(m, &TlsBio::create);
      return m;
    }();
    return m;
  }
};

std::shared_ptr<TlsTransport> TlsTransport::over(const std::shared_ptr<Transport>& lower,
                                                 std::shared_ptr<const TlsContext> context,
                                                 char* plain, std::size_t plainSize,
                                                 std::size_t maxQueuedBytes) {
  auto tls =
      std::make_shared<TlsTransport>(lower, std::move(context), plain, plainSize, maxQueuedBytes);
  lower->handOver(tls);
  return tls;
}

TlsTransport::TlsTransport(const std::shared_ptr<Transport>& lower,
                           std::shared_ptr<const TlsContext> context, char* plain,
                           std::size_t plainSize, std::size_t maxQueuedBytes)
    : Transport(lower->id(), lower->remoteAddress(), lower->remotePort()),
      lower_(lower),
      context_(std::move(context)),
      plain_(plain),
      plainSize_(plainSize),
      maxQueuedBytes_(maxQueuedBytes),
      ssl_(context_->newSession()) {
  if (!ssl_) throw std::bad_alloc();
  BIO* bio = BIO_new(TlsBio::method());
  if (!bio) {
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);  // the SSL owns the BIO
  SSL_set_read_ahead(ssl_, 1);  // fewer, larger reads from the BIO
}

TlsTransport::~TlsTransport() {
  SSL_free(ssl_);
}

bool TlsTransport::overLimit(std::size_t n) const noexcept {
  const auto queued = bufferedAmount();
  return queued != 0 && queued + n > maxQueuedBytes_;
}

bool TlsTransport::write(std::string_view a, std::string_view b, bool force) {
  if (!force && overLimit(a.size() + b.size())) return false;
  std::lock_guard lock(mutex_);
  if (!ssl_ || finishing_) return false;
  if (!established_) {  // sent once the handshake is done
    pending_.append(a).append(b);
    pendingBytes_ = pending_.size();
    return true;
  }
  if (b.empty()) return encryptLocked(a);
  if (a.size() + b.size() <= kJoinLimit) {
    // One record rather than two: the per-thread buffer keeps its capacity.
    thread_local std::string joined;
    joined.assign(a).append(b);
    return encryptLocked(joined);
  }
  return encryptLocked(a) && encryptLocked(b);
}

bool TlsTransport::write(std::shared_ptr<const std::string> bytes, bool force) {
  return write(*bytes, {}, force);
}

bool TlsTransport::encryptLocked(std::string_view bytes) {
  if (bytes.empty()) return true;
  std::size_t written = 0;
  if (SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written) == 1) return true;
  // The lower transport refused the bytes: it has closed.
  ERR_clear_error();
  return false;
}

void TlsTransport::finish() {
  if (finishing_.exchange(true)) return;
  {
    std::lock_guard lock(mutex_);
    // close_notify, queued after everything written before; then the lower transport
    // flushes and ends. Before the handshake there is nothing to protect.
    if (ssl_ && established_) {
      SSL_shutdown(ssl_);
      ERR_clear_error();
    }
  }
  lower_->finish();
}

void TlsTransport::onBytes(Transport&, char* data, std::size_t size) {
  std::unique_lock lock(mutex_);
  if (!ssl_) return;
  input_ = std::string_view(data, size);
  if (!established_ && !handshake(lock)) return;
  // Decrypt what arrived, a buffer at a time, and hand it up without the lock: the layers
  // above write (and so encrypt) while they handle it.
  for (;;) {
    std::size_t got = 0;
    int result = 1;
    while (got < plainSize_) {
      std::size_t n = 0;
      result = SSL_read_ex(ssl_, plain_ + got, plainSize_ - got, &n);
      if (result != 1) break;
      got += n;
    }
    const int error = result == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, result);
    if (error != SSL_ERROR_NONE && error != SSL_ERROR_WANT_READ)
      return failLocked(lock, result, "read");
    lock.unlock();
    if (got) received(plain_, got);
    if (error == SSL_ERROR_WANT_READ) return;  // all input read
    lock.lock();
    if (!ssl_) return;
  }
}

// Runs the handshake on what arrived. False when it is not done (or failed).
bool TlsTransport::handshake(std::unique_lock<std::mutex>& lock) {
  const int result = SSL_do_handshake(ssl_);
  if (result != 1) {
    if (SSL_get_error(ssl_, result) == SSL_ERROR_WANT_READ) return false;
    failLocked(lock, result, "handshake");
    return false;
  }
  established_ = true;
  established();
  // What the layers above wrote meanwhile goes out first.
  if (!pending_.empty()) {
    const std::string pending = std::move(pending_);
    pending_.clear();
    pendingBytes_ = 0;
    encryptLocked(pending);
  }
  return true;
}

void TlsTransport::established() {
  if (!log::enabled(log::Level::debug)) return;
  const unsigned char* alpn = nullptr;
  unsigned alpnSize = 0;
  SSL_get0_alpn_selected(ssl_, &alpn, &alpnSize);
  const char* sni = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  log::debug("conn {}: {} {}, ALPN {}, SNI {}", id(), SSL_get_version(ssl_),
             SSL_get_cipher_name(ssl_),
             alpnSize ? std::string_view(reinterpret_cast<const char*>(alpn), alpnSize) : "none",
             sni ? sni : "none");
}

// A failed handshake or a broken record: the alert OpenSSL queued goes out, then the
// connection ends. A plain HTTP request gets a plain answer saying which URL to use.
void TlsTransport::failLocked(std::unique_lock<std::mutex>& lock, int result, const char* during) {
  const int error = SSL_get_error(ssl_, result);
  const unsigned long code = ERR_peek_error();
  input_ = {};
  if (error == SSL_ERROR_ZERO_RETURN) {
    log::debug("conn {}: TLS close_notify from the peer", id());
    ERR_clear_error();
  } else if (!established_ && ERR_GET_LIB(code) == ERR_LIB_SSL &&
             ERR_GET_REASON(code) == SSL_R_HTTP_REQUEST) {
    log::debug("conn {}: plain HTTP request on the TLS port", id());
    ERR_clear_error();
    lower_->write(kPlainHttpAnswer, {}, true);
  } else {
    log::debug("conn {}: TLS {} failed: {}", id(), during, takeOpenSslError());
  }
  finishing_ = true;
  lock.unlock();
  lower_->finish();
}

void TlsTransport::onEnd(Transport&) {
  ended();
  // Nothing more goes through the SSL: free it now, not when the last ConnectionPtr goes.
  std::lock_guard lock(mutex_);
  SSL_free(ssl_);
  ssl_ = nullptr;
}

void TlsTransport::onStop(Transport&) {
  stop();
}

void TlsTransport::onQuiet(Transport&) {
  quiet();
  std::lock_guard lock(mutex_);
  if (ssl_ && established_) SSL_free_buffers(ssl_);
}

}  // namespace ratchet::detail
