#pragma once
// An echo client connection: keeps `depth` messages in flight and checks every byte of
// every echo, in order. Used by the echo (WebSocket and raw TCP) and idle scenarios.

#include "connection.hpp"
#include "payload.hpp"

#include <string>
#include <vector>

namespace bench {

/// What all echo connections of a run share: the payload and its wire form.
struct EchoShared {
  EchoShared(std::size_t size, bool websocket, PayloadKind kind = PayloadKind::filler);
  Payload payload;
  std::string wireFiller;  // the filler as sent: masked (WebSocket) or as is (raw)
};

class EchoConnection final : public Connection {
 public:
  /// `limit`: stop after this many messages (0: until stopSending()).
  EchoConnection(Worker& worker, const EchoShared& shared, std::size_t depth, bool binary,
                 std::uint64_t limit, std::size_t readBufferSize);

  /// Starts sending (the connection must be open).
  void startSending();
  /// No new messages; those in flight are still awaited.
  void stopSending() { sending_ = false; }
  /// Messages sent whose echo has not arrived.
  std::uint64_t outstanding() const noexcept { return nextSend_ - nextReceive_; }

 private:
  void onOpen() override {}
  void fillWrite(std::vector<boost::asio::const_buffer>& out, Clock::time_point now) override;
  void onFinished(bool clean) override;
  void onData(const char* p, std::size_t n, std::uint64_t offset) override;
  void onMessageEnd(Opcode type, std::uint64_t size) override;

  static constexpr std::size_t kSlot = 64;  // header (14) + the payload's head (<= 48), rounded
  const EchoShared& shared_;
  std::size_t depth_;
  std::uint64_t limit_;
  std::vector<char> heads_;                // per message of a write: header + masked head
  std::vector<std::string> compressed_;    // per message of a write, with permessage-deflate
  std::vector<Clock::time_point> sentAt_;  // by seq % depth
  std::uint64_t nextSend_ = 0, nextReceive_ = 0;
  bool sending_ = false;
};

class Runner;
/// Waits (at most 10 s) until every message sent has been echoed or abandoned; counts a
/// timeout failure otherwise.
void awaitEchoes(Runner& runner);

}  // namespace bench
