#pragma once
// The client side of permessage-deflate (RFC 7692) for ratchet-bench: the offer, the check
// of the server's answer, and zlib streams that compress a message (raw deflate, sync flush,
// the 0x00 0x00 0xff 0xff tail stripped) and inflate one.
//
// The client compresses every message on its own, whatever was agreed (its deflater is reset
// after each message, as if client_no_context_takeover had been agreed): one deflater per
// client thread serves all its connections, and what the server's inflater keeps does not
// depend on it. Received messages are inflated by one inflater per client thread, reset
// after each message, when the server compresses without context takeover; else by an
// inflater of the connection's own that keeps the server's context.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct z_stream_s;

namespace bench {

/// What ratchet-bench offers (--deflate, --deflate-client-no-context).
struct DeflateOffer {
  bool enabled = false;
  bool clientNoContextTakeover = false;  // offered too (a hint the server may take)
};

/// The Sec-WebSocket-Extensions value of the offer.
std::string deflateOfferValue(const DeflateOffer& offer);

/// What the server's response agreed to (RFC 7692 section 7.1).
struct DeflateAgreement {
  bool serverNoContextTakeover = false;
  bool clientNoContextTakeover = false;
  int serverMaxWindowBits = 15;
  int clientMaxWindowBits = 15;
};

/// Checks the response's Sec-WebSocket-Extensions value (all headers joined with ", ") as
/// the answer to our offer: exactly one permessage-deflate with known, valid parameters.
/// Returns empty and fills `out`, or what is wrong.
std::string parseDeflateResponse(std::string_view value, DeflateAgreement& out);

/// Raw deflate of whole messages, reset after each one.
class Deflater {
 public:
  Deflater(int level, int windowBits, int memLevel);
  ~Deflater();
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
  /// Appends the compressed `in` to `out` (sync flush, tail stripped; an empty result is
  /// one 0x00 byte, RFC 7692 7.2.3.6). False when zlib fails.
  bool compress(std::string_view in, std::string& out);
  int windowBits() const noexcept { return windowBits_; }

 private:
  std::unique_ptr<z_stream_s> z_;
  int windowBits_;
};

/// Raw inflate of whole messages.
class Inflater {
 public:
  explicit Inflater(int windowBits = 15);
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  /// Inflates one message's payload `in` (the tail is added here), handing the output to
  /// `sink` in chunks of at most `buffer.size()` bytes; `sink` returns false to stop. Resets
  /// the stream afterwards unless `keepContext`. False for corrupt data.
  bool inflate(std::string_view in, std::vector<char>& buffer, bool keepContext,
               const std::function<bool(const char*, std::size_t)>& sink);

 private:
  std::unique_ptr<z_stream_s> z_;
};

/// Each client thread's zlib streams and buffers, made on first use.
class ThreadZlib {
 public:
  /// Inflates `in` (a message compressed without context) with the shared inflater, handing
  /// the output to `sink`. The last kCached messages' input and output are kept: the same
  /// bytes again (a broadcast's message, as every subscriber gets it) are not inflated
  /// again, as inflating is a function of its input alone when no context is kept.
  bool inflateShared(std::string_view in,
                     const std::function<bool(const char*, std::size_t)>& sink);
  /// The client's compressor: zlib level 1 (cheap: the client runs on one core too).
  Deflater& deflater(int windowBits);
  /// The inflater for servers that compress without context takeover.
  Inflater& sharedInflater();
  std::vector<char>& inflateBuffer();
  std::string plain;  // a message's plaintext being built

 private:
  std::unique_ptr<Deflater> deflater_;
  std::unique_ptr<Inflater> inflater_;
  std::vector<char> buffer_;
  struct Cached {
    std::size_t hash = 0;
    std::string in, out;  // in empty: unused
  };
  static constexpr std::size_t kCached = 128;  // more than a broadcast's window in flight
  std::vector<Cached> cache_;
  std::size_t nextCached_ = 0;
};

}  // namespace bench
