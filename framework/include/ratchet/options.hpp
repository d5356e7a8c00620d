#pragma once
// Limits and timeouts. Every default is safe for a public server; all are configurable.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ratchet {

using Duration = std::chrono::milliseconds;

/// The lowest TLS version a server accepts.
enum class TlsVersion { tls1_2, tls1_3 };

/// One certificate chain and its private key, as PEM files.
struct TlsCertificate {
  /// The server's certificate followed by its intermediates (e.g. Let's Encrypt's fullchain.pem).
  std::string certificateChainFile{};
  /// Its private key (e.g. privkey.pem).
  std::string privateKeyFile{};
  /// The key's passphrase, when the key file is encrypted.
  std::string privateKeyPassword{};
};

/// TLS for a listening port (wss://, https://, or raw TLS under a bare IoServer). The files are
/// read when the server is constructed, and again on reloadTls(); a file that cannot be
/// read, or a key that does not match its certificate, is an error that names the file.
/// OpenSSL's default ciphers and groups apply.
struct TlsOptions {
  std::string certificateChainFile{};
  std::string privateKeyFile{};
  std::string privateKeyPassword{};
  /// More certificates, each chosen when the client's SNI server name matches one of its
  /// names (subjectAltName DNS entries, else the common name; "*.example.com" matches one
  /// label). The certificate above is the default for every other name and for clients
  /// that send none.
  std::vector<TlsCertificate> sniCertificates{};
  /// Clients that offer only older versions fail the handshake.
  TlsVersion minVersion = TlsVersion::tls1_2;
  /// Application protocols offered by ALPN, in order of preference; a client that offers
  /// ALPN but none of these still connects (no protocol is selected).
  std::vector<std::string> alpn = {"http/1.1"};
};

/// TCP-level settings of an IoServer.
struct IoOptions {
  /// I/O threads; 0 means std::thread::hardware_concurrency().
  unsigned threads = 0;
  /// Stop gracefully on SIGINT/SIGTERM while run() is active.
  bool handleSignals = true;
  /// Connections over this many are accepted and closed at once (0: no limit).
  std::size_t maxConnections = 100'000;
  /// The same for connections from one remote address (0: no limit). Clients behind one
  /// NAT or proxy share an address: size it for them.
  std::size_t maxConnectionsPerIp = 1'000;
  /// Bytes queued for one client before its connection is closed (WebSocket: 1008, or
  /// WsOptions::queuePolicy). One message larger than this is still sent on an empty queue.
  std::size_t maxQueuedBytes = 16 * 1024 * 1024;
  /// How long a graceful stop waits for clients to finish closing.
  Duration shutdownTimeout = std::chrono::seconds(5);
  /// How long a closing connection waits for the peer to end its side after ours.
  Duration lingerTimeout = std::chrono::seconds(2);
  /// Listen backlog.
  int backlog = 1024;
  /// Speak TLS on this port; plain TCP when empty.
  std::optional<TlsOptions> tls{};
};

/// HTTP request parsing settings of an HttpServer.
struct HttpOptions {
  /// Request line plus headers; larger requests get 431.
  std::size_t maxHeaderBytes = 8 * 1024;
  /// Request bodies; larger ones get 413.
  std::size_t maxBodyBytes = 1024 * 1024;
  /// Time allowed for the whole request to arrive; then 408 and close.
  Duration handshakeTimeout = std::chrono::seconds(10);
  /// How long a keep-alive connection may wait idle for its next request; then it closes.
  Duration keepAliveTimeout = std::chrono::seconds(5);
};

/// What a WebSocket send does when the client's outgoing queue is full
/// (IoOptions::maxQueuedBytes): the slow reader is never allowed to hold others back.
enum class QueuePolicy {
  close,  ///< close that connection with 1008 (Policy Violation) and log a warning
  drop,   ///< drop the message for that connection; counted in WsServer::droppedMessages()
};

/// permessage-deflate (RFC 7692) as a WsServer offers it. Clients that offer the extension
/// (every browser does) get compressed messages; others are served uncompressed.
///
/// Memory: with the defaults nothing of zlib lives in an idle connection. The server
/// compresses every message on its own with one zlib stream per I/O thread, shared by all
/// connections, and asks clients to do the same; a connection then holds inflate state
/// (about 7 KiB plus the client's window, 32 KiB at 15 bits) only while it reads a
/// compressed message, and gives it back once quiet.
struct Compression {
  /// zlib's compression level, 1 (fastest) to 9 (smallest); 0 sends deflate's stored
  /// blocks.
  int level = 6;
  /// The server's LZ77 window, 2^bits bytes, 9 to 15 (a client may ask for less; an
  /// offer of 8 is declined, as zlib cannot compress with a 256-byte window).
  int serverMaxWindowBits = 15;
  /// zlib's memLevel, 1 to 9: the compressor's memory (about 2^(memLevel+9) bytes for its
  /// hash and buffer) against its speed and ratio.
  int memLevel = 8;
  /// Keep the server's compression context from one message to the next on each
  /// connection: better ratios for many similar messages, at the price of a zlib stream
  /// (about 2^(serverMaxWindowBits+2) + 2^(memLevel+9) bytes) per connection while it is
  /// open. Off: the server sends `server_no_context_takeover`.
  bool serverContextTakeover = false;
  /// Ask every client to compress each message on its own (the server sends
  /// `client_no_context_takeover`, which RFC 7692 7.1.1.2 allows in any response), so that
  /// no inflate state lives in a connection between its messages. False lets clients keep
  /// their context (unless they offer not to): their messages shrink more, and each
  /// connection that has sent one keeps that state (about 40 KiB) while it is open.
  bool clientNoContextTakeover = true;
  /// Messages smaller than this are sent uncompressed.
  std::size_t minSize = 64;
};

/// WebSocket settings of a WsServer. For settings per route, mount your own
/// `std::make_shared<WsServer>(component, options)` with App::route.
struct WsOptions {
  /// A message (all its fragments) larger than this closes the connection with 1009.
  std::size_t maxMessageBytes = 16 * 1024 * 1024;
  /// A single frame larger than this closes the connection with 1009.
  std::size_t maxFrameBytes = 16 * 1024 * 1024;
  /// Keep-alive: a ping after this much silence; 0 disables pings.
  Duration pingInterval = std::chrono::seconds(30);
  /// A peer that sends nothing (not even a pong) this long after a ping is dropped.
  Duration pongTimeout = std::chrono::seconds(30);
  /// A connection that sends no message for this long is closed (1000, "idle timeout");
  /// 0 disables it. Pings and pongs do not count as messages.
  Duration idleTimeout = Duration(0);
  /// What a send does when the client's queue is full.
  QueuePolicy queuePolicy = QueuePolicy::close;
  /// How long to wait for the peer's reply to our close frame.
  Duration closeTimeout = std::chrono::seconds(5);
  /// Refuse (400) clients that offer subprotocols none of which the component speaks.
  bool strictSubprotocols = false;
  /// permessage-deflate for clients that offer it; off when empty.
  std::optional<Compression> compression{};
};

}  // namespace ratchet
