#pragma once
// Shared by the unit tests that run the real HTTP and WebSocket layers over MemoryTransport:
// client frames, a parser of the server's frames, recording components and a few requests.

#include "codec/ws_frame.hpp"
#include "io/memory_transport.hpp"

#include <ratchet/ratchet.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace memtest {

using ratchet::ConnectionPtr;
using ratchet::detail::MemoryTransport;
using ratchet::detail::WsOpcode;

// ---- client frames ------------------------------------------------------------------------

/// A client frame: masked (unless told otherwise) with a fixed key, minimal length encoding.
inline std::string clientFrame(WsOpcode op, std::string_view payload, bool fin = true,
                               bool masked = true) {
  static constexpr unsigned char kKey[4] = {0x37, 0xFA, 0x21, 0x3D};
  std::string out;
  out += static_cast<char>((fin ? 0x80 : 0x00) | static_cast<unsigned>(op));
  const char maskBit = masked ? '\x80' : '\0';
  const std::uint64_t n = payload.size();
  if (n < 126) {
    out += static_cast<char>(maskBit | static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    out += static_cast<char>(maskBit | 126);
    for (int i = 1; i >= 0; --i) out += static_cast<char>(n >> (8 * i));
  } else {
    out += static_cast<char>(maskBit | 127);
    for (int i = 7; i >= 0; --i) out += static_cast<char>(n >> (8 * i));
  }
  if (!masked) return out.append(payload);
  for (unsigned char k : kKey) out += static_cast<char>(k);
  for (std::size_t i = 0; i < n; ++i) out += static_cast<char>(payload[i] ^ kKey[i % 4]);
  return out;
}

inline std::string clientText(std::string_view payload) {
  return clientFrame(WsOpcode::text, payload);
}

/// A close frame's payload: the code in network order, then the reason.
inline std::string closePayload(std::uint16_t code, std::string_view reason = {}) {
  std::string out;
  out += static_cast<char>(code >> 8);
  out += static_cast<char>(code & 0xFF);
  return out.append(reason);
}

inline std::string clientClose(std::uint16_t code, std::string_view reason = {}) {
  return clientFrame(WsOpcode::close, closePayload(code, reason));
}

// ---- the server's frames ------------------------------------------------------------------

struct ServerFrame {
  std::uint8_t opcode = 0;
  bool fin = false;
  bool masked = false;
  std::string payload;

  std::uint16_t closeCode() const {
    if (payload.size() < 2) return 0;
    return static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                      static_cast<unsigned char>(payload[1]));
  }
  std::string closeReason() const { return payload.size() < 2 ? "" : payload.substr(2); }
};

/// The whole frames in `bytes`; `leftover` gets the number of bytes of an incomplete tail.
inline std::vector<ServerFrame> parseFrames(std::string_view bytes,
                                            std::size_t* leftover = nullptr) {
  std::vector<ServerFrame> frames;
  std::size_t pos = 0;
  for (int guard = 0; guard < 100'000 && bytes.size() - pos >= 2; ++guard) {
    const auto b0 = static_cast<unsigned char>(bytes[pos]);
    const auto b1 = static_cast<unsigned char>(bytes[pos + 1]);
    std::size_t header = 2;
    std::uint64_t n = b1 & 0x7F;
    const std::size_t extra = n == 126 ? 2 : n == 127 ? 8 : 0;
    if (bytes.size() - pos < header + extra) break;
    if (extra != 0) {
      n = 0;
      for (std::size_t i = 0; i < extra; ++i)
        n = (n << 8) | static_cast<unsigned char>(bytes[pos + 2 + i]);
      header += extra;
    }
    const bool masked = (b1 & 0x80) != 0;
    if (masked) header += 4;
    if (bytes.size() - pos < header + n) break;
    ServerFrame f;
    f.opcode = b0 & 0x0F;
    f.fin = (b0 & 0x80) != 0;
    f.masked = masked;
    f.payload = std::string(bytes.substr(pos + header, n));
    frames.push_back(std::move(f));
    pos += header + n;
  }
  if (leftover) *leftover = bytes.size() - pos;
  return frames;
}

/// `bytes` must be exactly one frame; returns it.
inline ServerFrame onlyFrame(std::string_view bytes) {
  std::size_t leftover = 0;
  auto frames = parseFrames(bytes, &leftover);
  if (frames.size() != 1 || leftover != 0)
    return ServerFrame{0xFF, false, false, "<not one frame>"};
  return frames.front();
}

// ---- requests -----------------------------------------------------------------------------

/// The RFC 6455 sample key and its accept value.
inline constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";
inline constexpr std::string_view kSwitching =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

inline std::string upgradeRequest(std::string_view target = "/ws", std::string_view extra = {}) {
  std::string r = "GET ";
  r.append(target).append(
      " HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: ");
  r.append(kKey).append("\r\nSec-WebSocket-Version: 13\r\n").append(extra).append("\r\n");
  return r;
}

inline std::string get(std::string_view target, std::string_view extra = {}) {
  std::string r = "GET ";
  r.append(target).append(" HTTP/1.1\r\nHost: example.com\r\n").append(extra).append("\r\n");
  return r;
}

/// The status line of an HTTP response: "HTTP/1.1 200 OK".
inline std::string statusLine(std::string_view response) {
  return std::string(response.substr(0, response.find("\r\n")));
}

inline std::size_t count(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string_view::npos;
       pos = haystack.find(needle, pos + needle.size()))
    ++n;
  return n;
}

// ---- recording components -----------------------------------------------------------------

/// The name of one of ratchet's error codes ("close_timeout"), else the code's message.
inline std::string errName(const boost::system::error_code& code) {
  using ratchet::errc;
  if (code.category() == ratchet::errorCategory()) {
    switch (static_cast<errc>(code.value())) {
      case errc::callback_threw:
        return "callback_threw";
      case errc::protocol_error:
        return "protocol_error";
      case errc::invalid_utf8:
        return "invalid_utf8";
      case errc::message_too_big:
        return "message_too_big";
      case errc::queue_overflow:
        return "queue_overflow";
      case errc::ping_timeout:
        return "ping_timeout";
      case errc::close_timeout:
        return "close_timeout";
    }
  }
  return code.message();
}

/// A WebSocket (or raw bytes) component that records its events as strings: "open",
/// "text:<payload>", "binary:<payload>", "error:<errc name>", "close". It also checks that
/// its callbacks never nest (maxDepth).
class RecordingComponent : public ratchet::MessageComponentInterface {
 public:
  explicit RecordingComponent(bool threadSafe = false) : threadSafe_(threadSafe) {}

  void onOpen(ConnectionPtr conn) override {
    Scope s(*this);
    events.push_back("open");
    conns.push_back(conn);
    if (openHook) openHook(conn);
  }
  void onMessage(ConnectionPtr from, const ratchet::Message& message) override {
    Scope s(*this);
    events.push_back((message.isBinary() ? "binary:" : "text:") + message.str());
    if (messageHook) messageHook(from, message);
  }
  void onClose(ConnectionPtr conn) override {
    Scope s(*this);
    events.push_back("close");
    closed.push_back(conn);
  }
  void onError(ConnectionPtr conn, const ratchet::Error& error) override {
    Scope s(*this);
    events.push_back("error:" + errName(error.code()));
    errorConns.push_back(conn);
    errors.push_back(error.code());
    lastErrorWhat = error.what();
    lastException = error.exception();
  }
  bool isThreadSafe() const noexcept override { return threadSafe_; }

  std::size_t countOf(std::string_view event) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e == event;
    return n;
  }

  std::vector<std::string> events;
  std::vector<ConnectionPtr> conns;
  std::vector<ConnectionPtr> closed;
  std::vector<boost::system::error_code> errors;
  std::vector<ConnectionPtr> errorConns;
  std::string lastErrorWhat;
  std::exception_ptr lastException;
  std::function<void(const ConnectionPtr&)> openHook;
  std::function<void(const ConnectionPtr&, const ratchet::Message&)> messageHook;
  int depth = 0;
  int maxDepth = 0;

 private:
  struct Scope {
    explicit Scope(RecordingComponent& c) : c_(c) {
      if (++c_.depth > c_.maxDepth) c_.maxDepth = c_.depth;
    }
    ~Scope() { --c_.depth; }
    RecordingComponent& c_;
  };
  bool threadSafe_;
};

/// An HTTP component that records "open <METHOD> <target>" and "close <target>" and, unless
/// told to wait, answers each request with "<name> <target>\n".
class RecordingHttp : public ratchet::HttpServerInterface {
 public:
  explicit RecordingHttp(std::string name = "r", bool answer = true)
      : name_(std::move(name)), answer_(answer) {}

  void onOpen(ConnectionPtr conn, std::shared_ptr<const ratchet::Request> request) override {
    events.push_back("open " + std::string(request->method()) + " " +
                     std::string(request->target()));
    conns.push_back(conn);
    requests.push_back(request);
    if (answer_) answer(conn);
  }
  void onClose(ConnectionPtr conn) override {
    events.push_back("close " + std::string(conn->request().target()));
    closed.push_back(conn);
  }
  void onError(ConnectionPtr conn, const ratchet::Error& error) override {
    events.push_back("error " + std::string(conn->request().target()));
    ratchet::HttpServerInterface::onError(conn, error);
  }

  /// Answers the request that opened `conn`.
  void answer(const ConnectionPtr& conn) {
    ratchet::respond(
        conn, conn->request(),
        ratchet::HttpResponse::text(name_ + " " + std::string(conn->request().target()) + "\n"));
  }

  std::vector<std::string> events;
  std::vector<ConnectionPtr> conns;
  std::vector<ConnectionPtr> closed;
  std::vector<std::shared_ptr<const ratchet::Request>> requests;

 private:
  std::string name_;
  bool answer_;
};

/// Lowers the log level for the test's length (queue overflows log warnings on purpose).
class QuietLog {
 public:
  QuietLog() : saved_(ratchet::log::level()) { ratchet::log::setLevel(ratchet::log::Level::off); }
  ~QuietLog() { ratchet::log::setLevel(saved_); }
  QuietLog(const QuietLog&) = delete;
  QuietLog& operator=(const QuietLog&) = delete;

 private:
  ratchet::log::Level saved_;
};

/// HttpServer(Router("/ws" → WsServer(component))) over a MemoryTransport.
struct WsStack {
  explicit WsStack(ratchet::WsOptions options = {}, MemoryTransport::Options transport = {},
                   bool threadSafe = false)
      : app(std::make_shared<RecordingComponent>(threadSafe)),
        ws(std::make_shared<ratchet::WsServer>(app, options)),
        router(std::make_shared<ratchet::Router>()) {
    router->add("/ws", ws);
    http = std::make_shared<ratchet::HttpServer>(router);
    t = MemoryTransport::open(http, transport);
  }

  /// Upgrades; true when the 101 came and the component saw onOpen.
  bool upgrade() {
    t->feed(upgradeRequest());
    return t->take() == kSwitching && app->conns.size() == 1;
  }
  ConnectionPtr conn() const { return app->conns.at(0); }

  std::shared_ptr<RecordingComponent> app;
  std::shared_ptr<ratchet::WsServer> ws;
  std::shared_ptr<ratchet::Router> router;
  std::shared_ptr<ratchet::HttpServer> http;
  std::shared_ptr<MemoryTransport> t;
};

}  // namespace memtest
