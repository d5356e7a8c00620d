#pragma once
// TLS over another transport (framework-internal), with OpenSSL. The lower transport's
// bytes are decrypted in the read handler that received them, and what the layers above
// write is encrypted straight into the lower transport's write queue: a BIO of our own
// stands between OpenSSL and the queue, so there is no second buffer and no copy through a
// memory BIO.

#include "io/transport.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

using SSL = struct ssl_st;

namespace ratchet::detail {

class TlsContext;

class TlsTransport final : public Transport, public StreamHandler {
 public:
  /// Puts TLS over `lower` (server side) and takes its bytes over. `plain` is where received
  /// bytes are decrypted to: a buffer of the I/O thread, shared by its connections.
  /// `maxQueuedBytes` is IoOptions::maxQueuedBytes. On the I/O thread.
  static std::shared_ptr<TlsTransport> over(const std::shared_ptr<Transport>& lower,
                                            std::shared_ptr<const TlsContext> context, char* plain,
                                            std::size_t plainSize, std::size_t maxQueuedBytes);

  TlsTransport(const std::shared_ptr<Transport>& lower, std::shared_ptr<const TlsContext> context,
               char* plain, std::size_t plainSize, std::size_t maxQueuedBytes);
  ~TlsTransport() override;

  // ---- Transport ----
  bool write(std::string_view a, std::string_view b, bool force) override;
  bool write(std::shared_ptr<const std::string> bytes, bool force) override;
  void finish() override;
  void abort() override { lower_->abort(); }
  void setTimer(Duration delay, std::function<void()> fn) override {
    lower_->setTimer(delay, std::move(fn));
  }
  void cancelTimer() override { lower_->cancelTimer(); }
  Clock::time_point now() const noexcept override { return lower_->now(); }
  bool onIoThread() const noexcept override { return lower_->onIoThread(); }
  void post(std::function<void()> fn) override { lower_->post(std::move(fn)); }
  std::size_t bufferedAmount() const noexcept override {
    return lower_->bufferedAmount() + pendingBytes_.load(std::memory_order_relaxed);
  }
  bool isOpen() const noexcept override { return !finishing_ && lower_->isOpen(); }

  // ---- StreamHandler: the lower transport's bytes ----
  void onBytes(Transport& lower, char* data, std::size_t size) override;
  void onEnd(Transport& lower) override;
  void onStop(Transport& lower) override;
  void onQuiet(Transport& lower) override;

 private:
  friend struct TlsBio;

  bool overLimit(std::size_t n) const noexcept;
  bool handshake(std::unique_lock<std::mutex>& lock);
  void established();
  bool encryptLocked(std::string_view bytes);
  void failLocked(std::unique_lock<std::mutex>& lock, int result, const char* during);

  const std::shared_ptr<Transport> lower_;
  const std::shared_ptr<const TlsContext> context_;  // the SSL refers to its SSL_CTXs
  char* const plain_;
  const std::size_t plainSize_;
  const std::size_t maxQueuedBytes_;

  std::mutex mutex_;  // guards the SSL: writes come from any thread
  SSL* ssl_ = nullptr;
  std::string_view input_;  // received bytes OpenSSL has not read yet (in onBytes only)
  std::string pending_;     // written before the handshake finished
  std::atomic<std::size_t> pendingBytes_{0};
  bool established_ = false;  // handshake done
  std::atomic<bool> finishing_{false};
};

}  // namespace ratchet::detail
