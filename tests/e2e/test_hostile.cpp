// Hostile clients (issue 3, section 4): a few hundred clients that connect and vanish
// mid-handshake, mid-frame and mid-close (abrupt resets), and connections that send random
// bytes. The server must go on serving, call onClose exactly once for each connection it
// opened (and never for one it did not), and leak no file descriptor and no memory.
//
// Waiting: component events are waited for on a test::Signal the component notifies; the
// server's own reports (connectionCount(), the process's open descriptors) have nothing to
// wait on, so they are polled in a bounded loop (pollUntil). Every client call is bounded by
// support.hpp's socket deadline or by poll() with a timeout, every loop by a count.
//
// RATCHET_TEST_SCALE=small scales the client counts down (for sanitizer builds).
//
// The WebSocket storms run against IoServer(HttpServer(Router(OriginCheck(WsServer(chat)))))
// built by hand exactly as App::route builds it, because App does not expose its IoServer's
// connectionCount().

#include "support.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using ratchet::ConnectionPtr;
using ratchet::Message;
using namespace std::chrono_literals;

// ---- scale, watchdog, polling ----------------------------------------------------------------

bool smallScale() {
  const char* s = std::getenv("RATCHET_TEST_SCALE");
  return s && std::string_view(s) == "small";
}
int scaled(int normal, int small) {
  return smallScale() ? small : normal;
}

using test::Watchdog;

/// Polls `condition` every 2 ms until it holds or `limit` passes; returns its last value.
/// This is polling of a state nothing notifies (the server's connectionCount(), the
/// process's descriptor table), not a sleep standing in for synchronisation.
template <class Condition>
bool pollUntil(Condition condition, std::chrono::milliseconds limit = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(2ms);
  }
}

/// The process's open descriptors and what they are (socket:[inode], anon_inode:[eventfd]...),
/// less the one that lists them.
std::map<int, std::string> openFdTable() {
  std::map<int, std::string> fds;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    std::error_code e;
    auto target = std::filesystem::read_symlink(entry.path(), e).string();
    if (e) continue;  // the listing's own descriptor, closed by now
    if (target.starts_with("/proc/") && target.ends_with("/fd")) continue;  // the listing's own
    fds[std::stoi(entry.path().filename().string())] = std::move(target);
  }
  return fds;
}

std::size_t openFds() {
  return openFdTable().size();
}

/// The descriptors of `now` that `before` did not have (or had with another target).
std::string fdDifference(const std::map<int, std::string>& before,
                         const std::map<int, std::string>& now) {
  std::string out;
  for (const auto& [fd, target] : now) {
    const auto it = before.find(fd);
    if (it == before.end() || it->second != target)
      out += "+" + std::to_string(fd) + " " + target + "; ";
  }
  for (const auto& [fd, target] : before)
    if (!now.contains(fd)) out += "-" + std::to_string(fd) + " " + target + "; ";
  return out.empty() ? "none" : out;
}

// ---- the component -----------------------------------------------------------------------------

constexpr std::string_view kPing = "ping";
constexpr std::string_view kPong = "PONG!";  // no storm client ever sends these bytes

/// A chat: relays every message to all other clients, and answers "ping" with "PONG!" to
/// the sender alone (how a client learns the server has opened it). Not thread-safe (the
/// default): the std::set needs the framework's serialisation. What it saw is recorded by
/// key: the upgrade request's `c` query parameter, or "#<id>" for raw TCP connections.
class StormChat final : public ratchet::MessageComponentInterface {
 public:
  struct Seen {
    int opens = 0;
    int closes = 0;
    int errors = 0;
    int violations = 0;  // opened twice, closed without being open, message while not open
    std::size_t live = 0;
    std::map<std::string, int> openedBy;
    std::map<std::string, int> closedBy;
  };

  void onOpen(ConnectionPtr conn) override {
    const bool fresh = clients_.insert(conn).second;
    update([&](Seen& s) {
      ++s.opens;
      if (!fresh) ++s.violations;
      ++s.openedBy[keyOf(conn)];
      s.live = clients_.size();
    });
  }
  void onMessage(ConnectionPtr from, const Message& message) override {
    if (!clients_.contains(from)) update([](Seen& s) { ++s.violations; });
    if (message == kPing) return from->send(Message(kPong, message.type()));
    for (const auto& c : clients_)
      if (c != from) c->send(message);
  }
  void onClose(ConnectionPtr conn) override {
    const bool known = clients_.erase(conn) == 1;
    update([&](Seen& s) {
      ++s.closes;
      if (!known) ++s.violations;
      ++s.closedBy[keyOf(conn)];
      s.live = clients_.size();
    });
  }
  void onError(ConnectionPtr conn, const ratchet::Error&) override {
    update([](Seen& s) { ++s.errors; });
    conn->close();
  }

  template <class F>
  auto read(F&& f) {
    std::lock_guard lock(signal_.mutex());
    return f(std::as_const(seen_));
  }
  /// Waits (bounded) until `pred(seen)` holds; false on timeout.
  template <class Pred>
  bool waitFor(Pred pred, std::chrono::milliseconds timeout = test::kTimeout) {
    return signal_.waitFor([&] { return pred(std::as_const(seen_)); }, timeout);
  }

 private:
  static std::string keyOf(const ConnectionPtr& conn) {
    return conn->request().queryParam("c").value_or("#" + std::to_string(conn->id()));
  }
  template <class F>
  void update(F&& f) {
    {
      std::lock_guard lock(signal_.mutex());
      f(seen_);
    }
    signal_.notify();
  }

  std::set<ConnectionPtr> clients_;  // only touched by the (serialised) callbacks
  test::Signal signal_;
  Seen seen_;  // guarded by signal_.mutex()
};

// ---- servers ---------------------------------------------------------------------------------

/// Options of the servers under test: 2 I/O threads, no signal handling. With `holding`,
/// the server's own timeouts (handshake, linger after its FIN) are long enough never to end
/// a connection that a storm client holds at its hostile point: the clients vanish first.
ratchet::AppOptions serverOptions(bool holding) {
  auto o = test::testOptions(2);
  if (holding) {
    o.http.handshakeTimeout = 60s;
    o.io.lingerTimeout = 60s;
  }
  return o;
}

/// What App("localhost", ...).route("/chat", chat) builds under its IoServer.
std::shared_ptr<ratchet::HttpServer> appStack(
    std::shared_ptr<ratchet::MessageComponentInterface> chat, const ratchet::AppOptions& o) {
  auto router = std::make_shared<ratchet::Router>();
  router->add("/chat", std::make_shared<ratchet::OriginCheck>(
                           std::make_shared<ratchet::WsServer>(std::move(chat), o.ws),
                           std::vector<std::string>{"localhost"}));
  return std::make_shared<ratchet::HttpServer>(router, o.http);
}

using Server = test::Running<ratchet::IoServer>;

// ---- raw client helpers ----------------------------------------------------------------------

std::string upgradeRequest(std::string_view target) {
  return "GET " + std::string(target) +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

/// Sends an upgrade request and reads the response head, byte by byte so that nothing after
/// it is consumed. Throws (no doctest macro: this runs on client threads) unless it is 101.
void rawUpgrade(test::RawClient& c, std::string_view target) {
  c.write(upgradeRequest(target));
  std::string head;
  for (int i = 0; i < 4096 && head.find("\r\n\r\n") == std::string::npos; ++i)
    head += c.readExactly(1);
  if (!head.starts_with("HTTP/1.1 101"))
    throw std::runtime_error("upgrade refused: " + head.substr(0, head.find('\r')));
}

/// Reads (bounded) until `token` has arrived, ignoring whatever else comes first (other
/// clients' relayed messages). Throws on EOF, reset or timeout.
void readUntil(test::RawClient& c, std::string_view token) {
  std::string tail;
  for (int i = 0; i < 100000; ++i) {
    const auto chunk = c.readSome();
    if (chunk.empty()) throw std::runtime_error("connection ended before " + std::string(token));
    tail += chunk;
    if (tail.find(token) != std::string::npos) return;
    tail.erase(0, tail.size() - std::min(tail.size(), token.size()));
  }
  throw std::runtime_error("no " + std::string(token));
}

/// True when `c` has something to read (data, EOF or reset) within `timeout`.
bool readable(test::RawClient& c, std::chrono::milliseconds timeout) {
  pollfd p{c.socket().native_handle(), POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

/// Ends our side gracefully (FIN) and reads until the server's FIN (or a reset).
void closeGracefully(test::RawClient& c) {
  ::shutdown(c.socket().native_handle(), SHUT_WR);
  (void)c.readAll();
}

/// 1 MiB of masked binary frames of 64 KiB, built once.
const std::string& floodFrames() {
  static const std::string frames = [] {
    std::string all;
    const std::string payload(64 * 1024, 'x');
    for (int i = 0; i < 16; ++i) all += test::clientFrame(0x2, payload);
    return all;
  }();
  return frames;
}

// ---- the storm -------------------------------------------------------------------------------

enum class Kind {
  connectReset,     // (a) connect, RST
  halfRequestLine,  // (b) half a request line, RST
  upgradeNoRead,    // (c) whole upgrade request, RST before reading the 101
  halfFrame,        // (d) upgraded, half a frame header or half a payload, RST
  closeNoReply,     // (e) upgraded, close frame, RST before the reply
  floodNoRead,      // (f) upgraded, 1 MiB of frames without reading, RST
  clean,            // (g) upgraded, a message, clean close
};
constexpr int kKinds = 7;
constexpr const char* kKindNames[kKinds] = {
    "connect+RST",     "half request line+RST", "upgrade+RST", "half frame+RST",
    "close frame+RST", "1 MiB unread+RST",      "clean close"};

/// What the storm's clients did, for the checks after it.
struct StormLog {
  std::mutex mutex;
  std::set<std::string> definite;  // the server certainly opened them (101 or PONG read)
  std::set<std::string> maybe;     // it may have (the request was sent, then the RST)
  std::vector<std::string> failures;
  int held = 0;  // connections held at their hostile point until the server had them all

  void note(std::set<std::string>& set, const std::string& key) {
    std::lock_guard lock(mutex);
    set.insert(key);
  }
  void fail(std::string what) {
    std::lock_guard lock(mutex);
    failures.push_back(std::move(what));
  }
};

/// The frames that stop half-way (d), in four variants.
std::string halfFrame(int variant) {
  switch (variant % 4) {
    case 0:  // one byte of a two-byte header
      return test::clientFrame(0x1, "hello").substr(0, 1);
    case 1:  // half of a 16-bit extended length
      return test::clientFrame(0x2, std::string(300, 'y')).substr(0, 3);
    case 2: {  // a whole message, then a header and half its payload
      const auto frame = test::clientFrame(0x1, std::string(200, 'z'));
      return test::clientFrame(0x1, "hi") + frame.substr(0, 8 + 100);
    }
    default: {  // a message, then a 64-bit length header, its mask and half the payload
      const auto frame = test::clientFrame(0x2, std::string(70000, 'w'));
      return test::clientFrame(0x2, "bin") + frame.substr(0, frame.size() / 2);
    }
  }
}

/// A storm client at its hostile point, not yet gone.
struct Held {
  std::unique_ptr<test::RawClient> raw;
  std::unique_ptr<test::WsClient> ws;
  bool clean = false;  // (g): leaves with a clean close, not a RST

  explicit operator bool() const { return raw || ws; }
  /// Vanishes: RST, or for (g) a clean close (WebSocket close handshake, or FIN for raw TCP).
  void leave() {
    if (ws) ws->close();
    if (raw) clean ? closeGracefully(*raw) : raw->drop();
    ws.reset();
    raw.reset();
  }
};

/// Storm client i, brought to its hostile point: against the WebSocket stack (`ws`) with
/// key "s<i>" (the `c` query parameter), or against the component under a bare IoServer,
/// where the bytes are the same but nothing answers HTTP, so a client learns it has been
/// opened from "ping" → "PONG!". (a) is dropped at once unless `hold`: then it waits bare.
Held approach(std::uint16_t port, bool ws, int i, bool hold, StormLog& log) {
  const auto key = "s" + std::to_string(i);
  const auto target = "/chat?c=" + key;
  const int variant = i / kKinds;
  Held h;
  const auto kind = static_cast<Kind>(i % kKinds);
  if (kind == Kind::clean && ws) {
    h.ws = std::make_unique<test::WsClient>(port, target);
    log.note(log.definite, key);
    h.ws->send("hello from " + key);
    return h;
  }
  h.raw = std::make_unique<test::RawClient>(port);
  auto& c = *h.raw;
  auto upgrade = [&] {
    if (ws) {
      rawUpgrade(c, target);
    } else {
      c.write(kPing);
      readUntil(c, kPong);
    }
    log.note(log.definite, key);
  };
  switch (kind) {
    case Kind::connectReset:
      if (!hold) h.leave();
      break;
    case Kind::halfRequestLine: {
      const auto line = "GET " + target + " HTTP/1.1";
      c.write(line.substr(0, 1 + static_cast<std::size_t>(variant) % (line.size() - 1)));
      break;
    }
    case Kind::upgradeNoRead:
      if (ws) log.note(log.maybe, key);
      c.write(upgradeRequest(target));
      break;
    case Kind::halfFrame:
      upgrade();
      c.write(halfFrame(variant));
      break;
    case Kind::closeNoReply:
      upgrade();
      c.write(test::clientFrame(0x8, std::string("\x03\xE8", 2) + "bye"));
      break;
    case Kind::floodNoRead:
      upgrade();
      c.write(floodFrames());
      break;
    case Kind::clean:  // raw TCP
      upgrade();
      c.write("hello from " + key);
      h.clean = true;
      break;
  }
  return h;
}

/// Runs fn(j) for j in [0, n) on `threads` threads, each taking the next j; an exception
/// becomes a failure of client `first + j`.
template <class Fn>
void inParallel(int threads, int n, int first, StormLog& log, Fn fn) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (int j; (j = next++) < n;) {
        const int i = first + j;
        const auto who = "client s" + std::to_string(i) + " (" + kKindNames[i % kKinds] + "): ";
        try {
          fn(j);
        } catch (const std::exception& e) {
          log.fail(who + e.what());
        } catch (...) {
          log.fail(who + "unknown exception");
        }
      }
    });
  for (auto& t : pool) t.join();
}

/// The storm: `rounds` rounds of 21 clients (3 of each kind) on `threads` client threads.
/// In even rounds every client is held at its hostile point until the server reports
/// that it holds all of them, and then they all vanish at once; in odd rounds each vanishes
/// as soon as it gets there, racing the server's accept and reads.
void runStorm(ratchet::IoServer& server, bool ws, int rounds, int threads, StormLog& log) {
  constexpr int kPerRound = 3 * kKinds;
  const auto started = std::chrono::steady_clock::now();
  for (int r = 0; r < rounds; ++r) {
    const bool hold = r % 2 == 0;
    const int first = r * kPerRound;
    std::vector<Held> clients(kPerRound);
    inParallel(threads, kPerRound, first, log, [&](int j) {
      clients[j] = approach(server.port(), ws, first + j, hold, log);
      if (!hold) clients[j].leave();
    });
    if (hold) {
      const auto n = static_cast<std::size_t>(std::count_if(
          clients.begin(), clients.end(), [](const Held& h) { return static_cast<bool>(h); }));
      if (!pollUntil([&] { return server.connectionCount() == n; }))
        log.fail("round " + std::to_string(r) + ": the server has " +
                 std::to_string(server.connectionCount()) + " connections, clients hold " +
                 std::to_string(n));
      {
        std::lock_guard lock(log.mutex);
        log.held += static_cast<int>(n);
      }
      inParallel(threads, kPerRound, first, log, [&](int j) { clients[j].leave(); });
    }
    if (!pollUntil([&] { return server.connectionCount() == 0; }))
      log.fail("round " + std::to_string(r) + ": " + std::to_string(server.connectionCount()) +
               " connections left on the server");
  }
  MESSAGE(std::string(ws ? "WebSocket" : "raw TCP"), " storm: ", rounds * kPerRound, " clients (",
          log.held, " held) on ", threads, " threads in ",
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                started)
              .count(),
          " ms");
}

std::string firstFailures(const std::vector<std::string>& failures) {
  std::string out;
  for (std::size_t i = 0; i < failures.size() && i < 5; ++i) out += failures[i] + "\n";
  return out;
}

// ---- probes of a live server ------------------------------------------------------------------

/// A client certainly opened by the server, then closed cleanly. As connections are accepted
/// in order, every connection made before it has been accepted once it is answered.
void sentinel(std::uint16_t port, bool ws) {
  static std::atomic<int> probes{0};
  if (ws) {
    test::WsClient c(port, "/chat?c=probe-" + std::to_string(probes++));
    c.send(kPing);
    CHECK(c.read() == kPong);
    c.close();
  } else {
    test::RawClient c(port);
    c.write(kPing);
    CHECK_NOTHROW(readUntil(c, kPong));
    closeGracefully(c);
  }
}

/// The server still serves: two fresh clients each get their "PONG!", and a message from
/// one reaches the other. Both then close cleanly. Since the component's callbacks are
/// serialised in order, once these answers arrive every earlier event has been handled.
void stillServes(std::uint16_t port, bool ws, StormChat& chat) {
  INFO("a fresh pair of clients after the storm");
  static std::atomic<int> pairs{0};
  if (ws) {
    const auto n = std::to_string(pairs++);
    test::WsClient a(port, "/chat?c=fresh-a" + n);
    test::WsClient b(port, "/chat?c=fresh-b" + n);
    b.send(kPing);
    CHECK(b.read() == kPong);
    a.send(kPing);
    CHECK(a.read() == kPong);
    a.send("still serving");
    CHECK(b.read() == "still serving");
    a.close();
    b.close();
  } else {
    test::RawClient a(port);
    test::RawClient b(port);
    b.write(kPing);
    CHECK_NOTHROW(readUntil(b, kPong));
    a.write(kPing);
    CHECK_NOTHROW(readUntil(a, kPong));
    a.write("still serving");
    CHECK_NOTHROW(readUntil(b, "still serving"));
    closeGracefully(a);
    closeGracefully(b);
  }
  CHECK(chat.waitFor([](const StormChat::Seen& s) { return s.live == 0; }));
}

/// Waits (bounded) until the server reports no connection and the process has exactly
/// `fds` descriptors; reports the difference when it does not come.
void checkQuiet(ratchet::IoServer& server, const std::map<int, std::string>& fds) {
  const bool quiet =
      pollUntil([&] { return server.connectionCount() == 0 && openFds() == fds.size(); });
  CHECK(server.connectionCount() == 0);
  const auto now = openFdTable();
  INFO("descriptors that differ from the idle server's: ", fdDifference(fds, now));
  CHECK(quiet);
  CHECK(now.size() == fds.size());
}

/// Connects `n` clients one after another and closes them cleanly, so that every descriptor
/// the server creates lazily exists before the idle count is taken: Asio creates an I/O
/// thread's epoll, eventfd and timerfd when the first accept onto that thread is issued.
void warmUp(ratchet::IoServer& server, StormChat& chat, bool ws, int n) {
  for (int i = 0; i < n; ++i) sentinel(server.port(), ws);
  CHECK(pollUntil([&] { return server.connectionCount() == 0; }));
  CHECK(chat.waitFor([](const StormChat::Seen& s) { return s.live == 0; }));
}

/// The checks every storm ends with: counts exact, server serving, descriptors back.
void afterStorm(ratchet::IoServer& server, StormChat& chat, bool ws, StormLog& log,
                const std::map<int, std::string>& idleFds, int rounds, int opensBefore) {
  const int clients = rounds * 3 * kKinds;
  {
    std::lock_guard lock(log.mutex);
    INFO("client failures (first 5 of ", log.failures.size(), "):\n", firstFailures(log.failures));
    CHECK(log.failures.empty());
  }
  // Everything the storm connected has been accepted (sentinel), finalized (count 0) and
  // its events handled (stillServes runs after all of them in the serialised component).
  sentinel(server.port(), ws);
  checkQuiet(server, idleFds);
  stillServes(server.port(), ws, chat);
  checkQuiet(server, idleFds);
  CHECK(chat.waitFor([](const StormChat::Seen& s) { return s.opens == s.closes; }));

  const auto seen = chat.read([](const StormChat::Seen& s) { return s; });
  INFO("opens ", seen.opens, ", closes ", seen.closes, ", errors ", seen.errors, ", violations ",
       seen.violations, ", definite ", log.definite.size(), ", maybe ", log.maybe.size());
  CHECK(seen.violations == 0);
  CHECK(seen.opens == seen.closes);
  CHECK(seen.live == 0);
  // Each opened connection closed exactly once; none closed without opening.
  std::vector<std::string> unbalanced;
  for (const auto& [key, n] : seen.openedBy) {
    const auto closed = seen.closedBy.find(key);
    if (n != 1 || closed == seen.closedBy.end() || closed->second != 1) unbalanced.push_back(key);
  }
  for (const auto& [key, n] : seen.closedBy)
    if (!seen.openedBy.contains(key)) unbalanced.push_back(key);
  INFO("keys not opened once and closed once: ", unbalanced.size(),
       unbalanced.empty() ? std::string() : " e.g. " + unbalanced.front());
  CHECK(unbalanced.empty());

  const int stormOpens = seen.opens - opensBefore - 3;  // less the sentinel and the fresh pair
  if (ws) {
    // Exactly the clients that completed the upgrade from the server's view: every one that
    // read its 101, plus those of (c) whose request the server read before their RST.
    std::vector<std::string> missing, unexpected;
    for (const auto& key : log.definite)
      if (!seen.openedBy.contains(key)) missing.push_back(key);
    int maybeOpened = 0;
    for (const auto& [key, n] : seen.openedBy) {
      if (key.size() < 2 || key[0] != 's' || !std::isdigit(static_cast<unsigned char>(key[1])))
        continue;  // not a storm client
      if (log.maybe.contains(key))
        ++maybeOpened;
      else if (!log.definite.contains(key))
        unexpected.push_back(key);
    }
    INFO("upgraded but never opened: ", missing.size(),
         ", opened without an upgrade: ", unexpected.size(), ", (c) opened: ", maybeOpened, " of ",
         log.maybe.size());
    MESSAGE("storm opens ", stormOpens, " = ", log.definite.size(), " upgraded + ", maybeOpened,
            " of ", log.maybe.size(), " (c) whose request arrived before the RST; errors ",
            seen.errors);
    CHECK(missing.empty());
    CHECK(unexpected.empty());
    CHECK(stormOpens == static_cast<int>(log.definite.size()) + maybeOpened);
  } else {
    // Every accepted connection is opened; at least those that got their PONG were.
    INFO("storm opens ", stormOpens, " of ", clients, " clients, ", log.definite.size(),
         " certainly opened");
    MESSAGE("storm opens ", stormOpens, " of ", clients, " clients (", log.definite.size(),
            " answered)");
    CHECK(stormOpens >= static_cast<int>(log.definite.size()));
    CHECK(stormOpens <= clients);
  }
}

// ---- hostile bytes ---------------------------------------------------------------------------

using Rng = std::mt19937;

std::string randomBytes(Rng& rng, std::size_t n) {
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(byte(rng));
  return s;
}

std::string randomText(Rng& rng, std::size_t n) {
  static constexpr std::string_view alphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 :/;,.-_=?&%()<>\"\r\n\t";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string s(n, '\0');
  for (auto& c : s) c = alphabet[pick(rng)];
  return s;
}

/// A few random replacements, insertions and deletions.
void mutate(Rng& rng, std::string& s, int times) {
  std::uniform_int_distribution<int> byte(0, 255), op(0, 2);
  for (int t = 0; t < times && !s.empty(); ++t) {
    const auto at = std::uniform_int_distribution<std::size_t>(0, s.size() - 1)(rng);
    switch (op(rng)) {
      case 0:
        s[at] = static_cast<char>(byte(rng));
        break;
      case 1:
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), static_cast<char>(byte(rng)));
        break;
      default:
        s.erase(at, 1);
    }
  }
}

/// Bytes sent instead of a request (connection i, deterministic).
std::string hostileRequest(int i) {
  Rng rng(0x5EED0000u + static_cast<unsigned>(i));
  auto len = [&](std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng);
  };
  switch (i / 2 % 4) {
    case 0:
      return randomBytes(rng, len(1, 600));
    case 1: {  // a valid upgrade request, damaged; sometimes cut short
      auto s = upgradeRequest("/chat?c=h" + std::to_string(i));
      mutate(rng, s, static_cast<int>(len(1, 4)));
      if (len(0, 3) == 0) s.resize(len(1, s.size()));
      return s;
    }
    case 2:  // a request line, then header soup
      return "GET /chat HTTP/1.1\r\n" + randomText(rng, len(1, 400)) + "\r\n\r\n";
    default: {
      auto s = randomText(rng, len(1, 300));
      if (len(0, 1)) s += "\r\n\r\n";
      return s;
    }
  }
}

/// Bytes sent after a valid handshake (connection i, deterministic).
std::string hostileFrames(int i) {
  Rng rng(0xF4A30000u + static_cast<unsigned>(i));
  auto len = [&](std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng);
  };
  static constexpr std::uint8_t opcodes[] = {0x0, 0x1, 0x2, 0x9, 0xA};
  switch (i / 2 % 5) {
    case 0:
      return randomBytes(rng, len(1, 600));
    case 1:  // a frame with a random opcode and payload, then random bytes
      return test::clientFrame(opcodes[len(0, 4)], randomBytes(rng, len(0, 200)), len(0, 1) != 0) +
             randomBytes(rng, len(0, 100));
    case 2: {  // valid frames, damaged
      auto s = test::clientFrame(0x1, "hello") + test::clientFrame(0x9, "are you there") +
               test::clientFrame(0x2, randomBytes(rng, len(0, 300))) +
               test::clientFrame(0x1, "caf\xC3\xA9", false) + test::clientFrame(0x0, "!");
      mutate(rng, s, static_cast<int>(len(1, 3)));
      return s;
    }
    case 3:  // text that is very likely not UTF-8
      return test::clientFrame(0x1, randomBytes(rng, len(1, 300)));
    default: {  // a 64-bit length, mostly absurd, and a few bytes
      auto s = std::string("\x82\xFF", 2) + randomBytes(rng, 8 + 4 + len(0, 50));
      return s;
    }
  }
}

/// Unmasked server frames as they arrive; stops at the first close frame.
struct ServerFrames {
  std::string buffer;
  std::optional<int> closeCode;  // 0: a close frame without status
  int frames = 0;
  bool malformed = false;

  void feed(std::string_view bytes) {
    buffer += bytes;
    while (!closeCode && !malformed && buffer.size() >= 2) {
      const auto b = [&](std::size_t k) { return static_cast<std::uint8_t>(buffer[k]); };
      if (b(1) & 0x80) {
        malformed = true;  // a server never masks
        return;
      }
      std::uint64_t length = b(1) & 0x7F;
      std::size_t header = 2;
      if (length == 126) {
        if (buffer.size() < 4) return;
        length = (std::uint64_t{b(2)} << 8) | b(3);
        header = 4;
      } else if (length == 127) {
        if (buffer.size() < 10) return;
        length = 0;
        for (std::size_t k = 0; k < 8; ++k) length = (length << 8) | b(2 + k);
        header = 10;
      }
      if (buffer.size() < header + length) return;
      ++frames;
      if ((b(0) & 0x0F) == 0x8) closeCode = length >= 2 ? (b(header) << 8) | b(header + 1) : 0;
      buffer.erase(0, header + static_cast<std::size_t>(length));
    }
  }
};

/// How hostile connections ended, for the checks and the report.
struct HostileLog {
  std::mutex mutex;
  std::map<int, int> statuses;    // HTTP status → connections (pre-handshake)
  std::map<int, int> closeCodes;  // close code from the server → connections
  int keptOpen = 0;               // valid prefix: the server waited, the client closed
  int wsConnections = 0;          // connections that were upgraded (server opened them)
  std::vector<std::string> failures;

  void fail(int i, std::string what) {
    std::lock_guard lock(mutex);
    failures.push_back("connection " + std::to_string(i) + ": " + std::move(what));
  }
};

/// After an upgrade: reads server frames until a close frame (then EOF) or `quiet` of
/// silence, when the bytes were a valid prefix and the client closes (FIN or RST).
void finishWebSocket(test::RawClient& c, int i, std::string_view sent, std::string initial,
                     HostileLog& log, std::chrono::milliseconds quiet) {
  ServerFrames frames;
  frames.feed(initial);
  auto acceptable = [&](int code) {
    // The server fails the connection with 1002, 1007 or 1009; any other code (or none)
    // can only be the echo of a close frame among the bytes sent (first byte 0x88).
    return code == 1002 || code == 1007 || code == 1009 || sent.find('\x88') != sent.npos;
  };
  for (int round = 0; round < 10000 && !frames.closeCode && !frames.malformed; ++round) {
    if (!readable(c, quiet)) {
      {
        std::lock_guard lock(log.mutex);
        ++log.keptOpen;
      }
      if (i % 4 < 2) return c.drop();
      ::shutdown(c.socket().native_handle(), SHUT_WR);
      frames.feed(c.readAll());  // the server ends too; a late close frame is checked below
      if (frames.closeCode && !acceptable(*frames.closeCode))
        log.fail(i, "late close code " + std::to_string(*frames.closeCode));
      return;
    }
    const auto chunk = c.readSome();
    if (chunk.empty()) return log.fail(i, "the server ended the connection without a close frame");
    frames.feed(chunk);
  }
  if (frames.malformed) return log.fail(i, "malformed server frame");
  if (!frames.closeCode) return log.fail(i, "endless frames");
  {
    std::lock_guard lock(log.mutex);
    ++log.closeCodes[*frames.closeCode];
  }
  if (!acceptable(*frames.closeCode))
    log.fail(i, "close code " + std::to_string(*frames.closeCode));
  (void)c.readAll();  // then the server's FIN
}

/// Connection i: even ones send hostile bytes instead of a request, odd ones after a valid
/// upgrade. Every connection must end: by an HTTP 4xx, by a close frame, or (valid prefix)
/// by the client after a moment of silence.
void hostileClient(std::uint16_t port, int i, HostileLog& log, std::chrono::milliseconds quiet) {
  test::RawClient c(port);
  if (i % 2 == 1) {
    rawUpgrade(c, "/chat?c=h" + std::to_string(i));
    {
      std::lock_guard lock(log.mutex);
      ++log.wsConnections;
    }
    const auto bytes = hostileFrames(i);
    try {
      c.write(bytes);
    } catch (const std::exception&) {
      // The server may fail the connection before all bytes are written; read its verdict.
    }
    return finishWebSocket(c, i, bytes, {}, log, quiet);
  }

  const auto bytes = hostileRequest(i);
  try {
    c.write(bytes);
  } catch (const std::exception&) {
  }
  std::string got;
  for (int k = 0; k < 10000 && got.find("\r\n\r\n") == std::string::npos; ++k) {
    const auto chunk = c.readSome();  // bounded by the handshake timeout (408)
    if (chunk.empty()) break;
    got += chunk;
  }
  const auto end = got.find("\r\n\r\n");
  if (end == std::string::npos || !got.starts_with("HTTP/1.1 ") || got.size() < 12)
    return log.fail(i, "no HTTP response, got '" + got.substr(0, 40) + "'");
  const int status = std::atoi(got.substr(9, 3).c_str());
  {
    std::lock_guard lock(log.mutex);
    ++log.statuses[status];
  }
  if (status == 101) {  // the damage left a valid upgrade: what follows is WebSocket
    {
      std::lock_guard lock(log.mutex);
      ++log.wsConnections;
    }
    const auto request = bytes.find("\r\n\r\n");
    return finishWebSocket(c, i, request == bytes.npos ? "" : bytes.substr(request + 4),
                           got.substr(end + 4), log, quiet);
  }
  if (status < 400 || status > 499) return log.fail(i, "status " + std::to_string(status));
  (void)c.readAll();  // "Connection: close": the server ends the connection
}

std::string histogram(const std::map<int, int>& m) {
  std::string out;
  for (const auto& [k, n] : m) out += std::to_string(k) + "×" + std::to_string(n) + " ";
  return out;
}

}  // namespace

// ---- test cases ------------------------------------------------------------------------------

TEST_CASE("hostile: no descriptor leaks after a storm of vanishing clients") {
  Watchdog watchdog("hostile: descriptors");
  const auto beforeStart = openFdTable();
  {
    auto chat = std::make_shared<StormChat>();
    const auto o = serverOptions(true);
    Server server(appStack(chat, o), std::uint16_t{0}, "127.0.0.1", o.io);
    warmUp(*server, *chat, true, 4);
    const auto idle = openFdTable();
    INFO("server running and idle: ", idle.size(), " descriptors, before it: ", beforeStart.size());
    CHECK(idle.size() > beforeStart.size());  // the listener, epoll, eventfd and timerfd

    StormLog log;
    const int opensBefore = chat->read([](const StormChat::Seen& s) { return s.opens; });
    const int rounds = scaled(4, 2);
    runStorm(*server, true, rounds, 4, log);
    afterStorm(*server, *chat, true, log, idle, rounds, opensBefore);
  }
  const auto afterStop = openFdTable();
  INFO("descriptors that differ from before the server: ", fdDifference(beforeStart, afterStop));
  CHECK(afterStop.size() == beforeStart.size());
}

TEST_CASE("hostile: a storm of clients vanishing mid-handshake, mid-frame and mid-close") {
  Watchdog watchdog("hostile: WebSocket storm");
  auto chat = std::make_shared<StormChat>();
  const auto o = serverOptions(true);
  Server server(appStack(chat, o), std::uint16_t{0}, "127.0.0.1", o.io);
  warmUp(*server, *chat, true, 4);
  const auto idle = openFdTable();

  StormLog log;
  const int opensBefore = chat->read([](const StormChat::Seen& s) { return s.opens; });
  const int rounds = scaled(15, 4);
  runStorm(*server, true, rounds, 6, log);
  afterStorm(*server, *chat, true, log, idle, rounds, opensBefore);
}

TEST_CASE("hostile: the same storm against the component under a bare IoServer (raw TCP)") {
  Watchdog watchdog("hostile: raw TCP storm");
  auto chat = std::make_shared<StormChat>();
  const auto o = serverOptions(true);
  Server server(chat, std::uint16_t{0}, "127.0.0.1", o.io);
  warmUp(*server, *chat, false, 4);
  const auto idle = openFdTable();

  StormLog log;
  const int opensBefore = chat->read([](const StormChat::Seen& s) { return s.opens; });
  const int rounds = scaled(15, 4);
  runStorm(*server, false, rounds, 6, log);
  afterStorm(*server, *chat, false, log, idle, rounds, opensBefore);
}

TEST_CASE("hostile: random bytes before and after the handshake never break the server") {
  Watchdog watchdog("hostile: random bytes");
  auto chat = std::make_shared<StormChat>();
  auto o = serverOptions(false);
  // A request that is still a valid prefix gets its 408 soon (the default waits 10 s).
  o.http.handshakeTimeout = 1s;
  Server server(appStack(chat, o), std::uint16_t{0}, "127.0.0.1", o.io);
  warmUp(*server, *chat, true, 4);
  const auto idle = openFdTable();
  const int opensBefore = chat->read([](const StormChat::Seen& s) { return s.opens; });

  const int connections = scaled(200, 60);
  const auto quiet = smallScale() ? 1000ms : 300ms;  // silence that means "valid prefix"
  HostileLog log;
  {
    std::atomic<int> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < 8; ++t)
      pool.emplace_back([&] {
        for (int i; (i = next++) < connections;) {
          try {
            hostileClient(server.port(), i, log, quiet);
          } catch (const std::exception& e) {
            log.fail(i, e.what());
          } catch (...) {
            log.fail(i, "unknown exception");
          }
        }
      });
    for (auto& t : pool) t.join();
  }

  MESSAGE("HTTP statuses: ", histogram(log.statuses), "| close codes: ", histogram(log.closeCodes),
          "| kept open (valid prefix): ", log.keptOpen, " | upgraded: ", log.wsConnections);
  INFO("failures (first 5 of ", log.failures.size(), "):\n", firstFailures(log.failures));
  CHECK(log.failures.empty());
  // Most hostile WebSocket input is refused by the server at once, not left waiting.
  int closedByServer = 0;
  for (const auto& [code, n] : log.closeCodes) closedByServer += n;
  CHECK(closedByServer >= connections / 4);

  sentinel(server.port(), true);
  checkQuiet(*server, idle);
  stillServes(server.port(), true, *chat);
  checkQuiet(*server, idle);
  CHECK(chat->waitFor([](const StormChat::Seen& s) { return s.opens == s.closes; }));
  const auto seen = chat->read([](const StormChat::Seen& s) { return s; });
  CHECK(seen.violations == 0);
  CHECK(seen.opens == seen.closes);
  CHECK(seen.opens - opensBefore - 3 == log.wsConnections);
}
