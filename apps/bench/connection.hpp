#pragma once
// One client connection, WebSocket (ws:// or wss://) or raw TCP: connect from a chosen
// loopback address, make the TLS handshake (wss), upgrade, read and check the server's
// frames, answer pings, write what the scenario wants in gathered writes, and close with a
// complete close handshake (wss: and the close_notify exchange). Scenarios derive from it.

#include "client_frame.hpp"
#include "deflate.hpp"
#include "stats.hpp"
#include "tls_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;
class Worker;

/// Where connections go and how they talk.
struct Target {
  boost::asio::ip::tcp::endpoint endpoint;
  bool raw = false;                // plain TCP: no upgrade, no frames
  std::size_t rawMessageSize = 0;  // raw: every this many bytes are one message
  std::string upgradeRequest;      // WebSocket: the request every connection sends
  unsigned sourceAddresses = 16;
  std::shared_ptr<const TlsContext> tls;  // wss: TLS under the WebSocket; null: plain
  std::string serverName;                 // wss: SNI; empty for an IP address (RFC 6066)
  DeflateOffer deflate;                   // permessage-deflate offered (and required)
};

class Connection : protected FrameHandler {
 public:
  enum class State {
    idle,
    connecting,
    securing,  // wss: TLS handshake
    upgrading,
    open,
    closing,
    closeReceived,
    tlsClosing,  // wss: both close_notify alerts sent, awaiting the server's end of TCP
    done
  };

  Connection(Worker& worker, std::size_t readBufferSize);
  ~Connection() override = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Connects from source address number `source` (see sourceAddress), then upgrades;
  /// onOpen follows. May be called again once the previous attempt is done.
  void start(std::size_t source);
  /// Closes cleanly: WebSocket close 1000 and wait for the server's close and its end of TCP;
  /// raw: shut down our side and wait for the server's. Ignored unless open.
  void close();
  /// Fails the connection if the current step has run past its deadline.
  void checkTimeout(Clock::time_point now);
  State state() const noexcept { return state_; }
  /// Starts a write of pending control frames and of what fillWrite() adds, unless one is
  /// in progress (then it follows when that one completes). wss: all of it is one record.
  void kickWrite();

 protected:
  /// The upgrade (or TCP connect, raw) is complete.
  virtual void onOpen() = 0;
  /// Adds the buffers of data messages to send now; they must stay valid until the next call.
  virtual void fillWrite(std::vector<boost::asio::const_buffer>& out, Clock::time_point now) = 0;
  /// The attempt ended (once per start); `clean` when no failure was counted for it.
  virtual void onFinished(bool clean) = 0;

  /// permessage-deflate was agreed: data messages go compressed (appendCompressedFrame).
  bool deflating() const noexcept { return deflate_.has_value(); }
  /// Appends a whole masked frame of `payload` compressed, RSV1 set. False when zlib fails
  /// (the connection has failed then).
  bool appendCompressedFrame(std::string& out, Opcode opcode, std::string_view payload);

  /// Counts a failure (with a line on stderr for the first few) and drops the connection.
  void fail(Failure kind, std::string_view detail);
  /// Counts a failure without dropping the connection.
  void countFailure(Failure kind, std::string_view detail);

  Worker& worker_;
  Clock::time_point readTime_;  // when the data being processed arrived
  bool binary_ = false;         // opcode of data messages the scenario sends

 private:
  void onPing(std::string_view payload) final;
  void onClose(std::uint16_t code) final;
  std::string_view onCompressedMessage(Opcode type, std::string_view payload) final;
  bool agreeDeflate(const std::string& extensions);
  void onConnected(const boost::system::error_code& ec);
  void read();
  void onRead(const boost::system::error_code& ec, std::size_t n);
  void onTlsRead(const boost::system::error_code& ec, std::size_t n);
  void onTlsClose();
  void deliver(const char* p, std::size_t n);
  bool consumeUpgrade(const char*& p, std::size_t& n);
  void writeTls();
  void onWritten(const boost::system::error_code& ec);
  void deliverRaw(const char* p, std::size_t n);
  void onEof();
  void finish();
  void setState(State s, Clock::duration timeout);

  boost::asio::ip::tcp::socket socket_;
  std::vector<char> readBuffer_;
  std::string head_;  // upgrade response being assembled
  FrameParser parser_;
  std::string controlPending_, controlWriting_;
  std::vector<boost::asio::const_buffer> writeBuffers_;
  const bool secure_;          // wss
  TlsClient tls_;              // wss: the session of the current attempt
  std::string cipherWriting_;  // wss: the ciphertext being written
  bool writing_ = false;
  bool failed_ = false;
  bool paced_ = false;  // counted in the worker's connects in flight
  State state_ = State::idle;
  Clock::time_point deadline_ = Clock::time_point::max();
  std::uint64_t rawOffset_ = 0;
  std::uint32_t generation_ = 0;             // attempts so far; completion handlers carry theirs
  std::optional<DeflateAgreement> deflate_;  // permessage-deflate, as agreed
  std::unique_ptr<Inflater> ownInflater_;    // when the server keeps its context
  friend class Worker;                       // sets paced_
};

}  // namespace bench
