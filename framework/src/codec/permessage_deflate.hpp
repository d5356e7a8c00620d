#pragma once
// permessage-deflate (RFC 7692), sans I/O: the negotiation of its parameters, and zlib
// streams that compress a message and inflate one within a size limit.

#include "codec/utf8.hpp"
#include "ratchet/options.hpp"
#include "ratchet/request.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct z_stream_s;

namespace ratchet::detail {

/// The parameters both sides agreed on (RFC 7692 section 7.1), and the server's settings.
struct DeflateParams {
  int level = 6;
  int memLevel = 8;
  int serverWindowBits = 15;  // the server compresses with this window
  int clientWindowBits = 15;  // the client compresses with at most this window
  bool serverContextTakeover = false;
  bool clientContextTakeover = true;
  std::size_t minSize = 64;
};

/// The accepted offer: its parameters and the Sec-WebSocket-Extensions response value.
struct DeflateAgreement {
  DeflateParams params;
  std::string response;
};

/// Tries the client's permessage-deflate offers (all Sec-WebSocket-Extensions headers) in
/// order and accepts the first one valid and acceptable under `settings`; nullopt when none
/// is (the connection then opens without the extension). Other extensions are ignored.
std::optional<DeflateAgreement> negotiateDeflate(const Request& request,
                                                 const Compression& settings);

/// The client side of the negotiation: the parameters in a server's response to an offer
/// (for test clients and a WebSocket client); nullopt when the response is not valid
/// permessage-deflate.
std::optional<DeflateParams> parseDeflateResponse(std::string_view response);

/// One zlib stream of either kind, created on first use. Not thread-safe.
class ZStream {
 public:
  enum class Kind : std::uint8_t { deflate, inflate };
  ZStream(Kind kind, int level, int windowBits, int memLevel) noexcept;
  ~ZStream();
  ZStream(const ZStream&) = delete;
  ZStream& operator=(const ZStream&) = delete;

  /// Its zlib state (created now if need be), or nullptr when zlib has no memory for it.
  z_stream_s* get() noexcept;
  /// Forgets the LZ77 context, keeping the memory.
  void reset() noexcept;
  /// Frees the zlib state (created again on next use).
  void release() noexcept;
  bool allocated() const noexcept { return z_ != nullptr; }

 private:
  Kind kind_;
  int level_, windowBits_, memLevel_;
  std::unique_ptr<z_stream_s> z_;
};

/// Compresses `payload` as one message into `out` (replacing its contents): deflate with a
/// sync flush, the 0x00 0x00 0xff 0xff tail removed (RFC 7692 7.2.1). Resets the stream
/// afterwards unless `keepContext`. False when zlib fails (no memory).
bool deflateMessage(ZStream& stream, std::string_view payload, bool keepContext, std::string& out);

/// The zlib stream of this thread for messages compressed without context takeover, one
/// per setting: every connection served by the thread shares it.
ZStream& sharedDeflater(const DeflateParams& params);

/// Inflates the frames of compressed messages from one client, each message bounded.
class MessageInflater {
 public:
  explicit MessageInflater(const DeflateParams& params) noexcept;

  /// Inflates `in`, the next bytes of a message's compressed payload, appending to `out`;
  /// `last`: they end the message. New text is validated by `utf8` (nullptr: binary) as it
  /// comes out. Returns 0, or the close code to fail with: 1007 for corrupt data or invalid
  /// UTF-8, 1009 when `out` would grow past `limit` (checked as it inflates: no more than
  /// `limit` bytes are ever produced), 1011 when zlib has no memory.
  std::uint16_t inflate(std::string_view in, bool last, std::string& out, std::size_t limit,
                        Utf8Validator* utf8);
  /// Between messages: frees zlib's state unless the client keeps its context.
  void release() noexcept;

 private:
  std::uint16_t run(const unsigned char* in, std::size_t size, std::string& out, std::size_t limit,
                    Utf8Validator* utf8);

  ZStream stream_;
  bool contextTakeover_;
  bool ended_ = false;  // the message's deflate stream had its final block
};

}  // namespace ratchet::detail
