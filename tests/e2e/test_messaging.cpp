// End-to-end tests of messaging: echo of every size, chat fan-out, raw TCP, hand-built
// stacks, the concurrency contract, exceptions, the Connection API, IPv6, graceful stop and
// the outgoing queue limit. Real servers on loopback, real clients, no sleeps: every wait is
// on a message read or a test::Signal notified by the component.

#include "support.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using ratchet::ConnectionPtr;
using ratchet::Message;
using namespace std::chrono_literals;

// ---- helpers -------------------------------------------------------------------------------

using test::Watchdog;

/// State a component shares with the test thread: updated under the signal's mutex, then
/// notified; read under the same mutex.
class Probe {
 public:
  template <class F>
  void update(F&& f) {
    {
      std::lock_guard lock(signal_.mutex());
      f();
    }
    signal_.notify();
  }
  template <class F>
  auto read(F&& f) {
    std::lock_guard lock(signal_.mutex());
    return f();
  }
  /// Waits until `pred()` (evaluated under the mutex) holds; false on timeout.
  template <class Pred>
  bool waitFor(Pred&& pred, std::chrono::milliseconds timeout = test::kTimeout) {
    return signal_.waitFor(std::forward<Pred>(pred), timeout);
  }

 private:
  test::Signal signal_;
};

/// Valid UTF-8 of exactly `n` bytes with 2-, 3- and 4-byte sequences, so that fragment
/// boundaries fall inside code points.
std::string textPayload(std::size_t n) {
  static constexpr std::string_view pieces[] = {"ratchet ", "\xC3\xA9", "\xE2\x82\xAC",
                                                "\xF0\x9F\x98\x80", "0123456789"};
  std::string s;
  s.reserve(n);
  for (std::size_t i = 0;; ++i) {
    const auto piece = pieces[i % std::size(pieces)];
    if (s.size() + piece.size() > n) break;
    s += piece;
  }
  while (s.size() < n) s.push_back(static_cast<char>('a' + s.size() % 26));
  return s;
}

/// Every byte value, including NUL and bytes that are never valid UTF-8.
std::string binaryPayload(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + 7 + i / 256) & 0xFF);
  return s;
}

std::string firstDifference(const std::string& got, const std::string& want) {
  if (got.size() != want.size())
    return "size " + std::to_string(got.size()) + " instead of " + std::to_string(want.size());
  const auto diff = std::mismatch(got.begin(), got.end(), want.begin());
  if (diff.first == got.end()) return "none";
  return "byte " + std::to_string(diff.first - got.begin());
}

std::string nameOf(const ConnectionPtr& c) {
  return c->request().queryParam("name").value_or("#" + std::to_string(c->id()));
}

std::uint16_t localPort(test::WsClient& c) {
  return c.stream().next_layer().local_endpoint().port();
}

// ---- components ----------------------------------------------------------------------------

/// The chat of the README: relays every message to all other clients. Not thread-safe (the
/// default), so the plain std::set needs no lock. The counters are for the test.
class Chat : public ratchet::MessageComponentInterface {
 public:
  void onOpen(ConnectionPtr conn) override {
    clients_.insert(conn);
    probe.update([&] {
      ++opens;
      clientCount = clients_.size();
    });
  }
  void onMessage(ConnectionPtr from, const Message& message) override {
    for (auto& c : clients_)
      if (c != from) c->send(message);
  }
  void onClose(ConnectionPtr conn) override {
    clients_.erase(conn);
    probe.update([&] {
      ++closes;
      ++closesByName[nameOf(conn)];
      clientCount = clients_.size();
    });
  }
  void onError(ConnectionPtr conn, const ratchet::Error& error) override {
    probe.update([&] { errors.push_back(error.what()); });
    conn->close();
  }

  // Guarded by probe.
  Probe probe;
  int opens = 0;
  int closes = 0;
  std::map<std::string, int> closesByName;
  std::size_t clientCount = 0;
  std::vector<std::string> errors;

 private:
  std::set<ConnectionPtr> clients_;
};

/// Counts callbacks that start while another callback of the same component is running:
/// a component of the contract's default kind must never see one.
class OverlapCounting {
 public:
  std::atomic<long> overlaps{0};

 protected:
  struct Exclusive {
    explicit Exclusive(OverlapCounting& c) : counting(c) {
      if (counting.inside_.fetch_add(1) != 0) ++counting.overlaps;
    }
    ~Exclusive() { counting.inside_.fetch_sub(1); }
    OverlapCounting& counting;
  };

 private:
  std::atomic<int> inside_{0};
};

/// Counts messages in plain, unguarded members: correct only if the framework serialises
/// the callbacks as documented. The test reads them after the server has stopped. Besides
/// the plain members (which ThreadSanitizer watches), an atomic counts callbacks that find
/// another one still running, which catches an overlap in any build.
class Tally : public ratchet::MessageComponentInterface, public OverlapCounting {
 public:
  void onOpen(ConnectionPtr conn) override {
    const Exclusive guard(*this);
    if (!open_.insert(conn).second) ++violations;
    ++opens;
  }
  void onMessage(ConnectionPtr from, const Message& message) override {
    const Exclusive guard(*this);
    // Read, give the CPU away, write: a concurrent call would show as a lost update (and
    // as an overlap), not only under ThreadSanitizer.
    const long seen = count;
    std::this_thread::yield();
    count = seen + 1;
    if (!open_.contains(from)) ++openViolations;  // onMessage before onOpen (or after onClose)
    auto& next = from->data<long>();              // per-connection order
    if (message.data() != std::to_string(next)) ++orderViolations;
    ++next;
    from->send("ok");
  }
  void onClose(ConnectionPtr conn) override {
    const Exclusive guard(*this);
    if (open_.erase(conn) != 1) ++violations;
    ++closesById[conn->id()];
    remaining = open_.size();
    const int closed = static_cast<int>(closesById.size());
    probe.update([&] { closedPublished = closed; });
  }
  void onError(ConnectionPtr, const ratchet::Error&) override {
    const Exclusive guard(*this);
    ++errors;
  }

  // Plain: read only after run() returned.
  long count = 0;
  long opens = 0;
  long openViolations = 0;
  long orderViolations = 0;
  long violations = 0;
  long errors = 0;
  std::size_t remaining = 0;
  std::map<std::uint64_t, int> closesById;
  // Guarded by probe.
  Probe probe;
  int closedPublished = 0;

 private:
  std::set<ConnectionPtr> open_;
};

/// Tally without containers (an overlap must fail the test, not crash it): plain counters,
/// the overlap detector, and the closes counted under the probe's mutex.
class PlainCounter : public ratchet::MessageComponentInterface, public OverlapCounting {
 public:
  void onOpen(ConnectionPtr) override {
    const Exclusive guard(*this);
    ++opens;
  }
  void onMessage(ConnectionPtr from, const Message&) override {
    const Exclusive guard(*this);
    const long seen = count;
    std::this_thread::yield();
    count = seen + 1;
    from->send("ok");
  }
  void onClose(ConnectionPtr) override {
    const Exclusive guard(*this);
    ++closes;
    probe.update([&] { ++closedPublished; });
  }
  void onError(ConnectionPtr, const ratchet::Error&) override {
    const Exclusive guard(*this);
    ++errors;
  }

  // Plain: read only after run() returned.
  long count = 0;
  long opens = 0;
  long closes = 0;
  long errors = 0;
  // Guarded by probe.
  Probe probe;
  int closedPublished = 0;
};

/// The thread-safe counterpart: guards its own state (an atomic) and is called directly on
/// every I/O thread.
class AtomicTally : public ratchet::MessageComponentInterface {
 public:
  void onOpen(ConnectionPtr) override { ++opens; }
  void onMessage(ConnectionPtr from, const Message&) override {
    ++count;
    from->send("ok");
  }
  void onClose(ConnectionPtr) override {
    ++closes;
    probe.update([] {});
  }
  void onError(ConnectionPtr, const ratchet::Error&) override { ++errors; }
  bool isThreadSafe() const noexcept override { return true; }

  std::atomic<long> count{0};
  std::atomic<long> opens{0};
  std::atomic<long> closes{0};
  std::atomic<long> errors{0};
  Probe probe;
};

/// Replies "re:<message>", but throws for "boom"; optionally throws from onError too.
class Thrower : public ratchet::MessageComponentInterface {
 public:
  struct Failure {
    std::uint16_t remotePort;
    boost::system::error_code code;
    std::string what;
    std::string rethrown;  // what() of Error::exception(), rethrown
  };

  explicit Thrower(bool throwFromOnError) : throwFromOnError_(throwFromOnError) {}

  void onOpen(ConnectionPtr) override {
    probe.update([&] { ++opens; });
  }
  void onMessage(ConnectionPtr from, const Message& message) override {
    if (message == "boom") throw std::runtime_error("boom requested by the client");
    from->send("re:" + message.str());
  }
  void onClose(ConnectionPtr conn) override {
    probe.update([&] { closedPorts.push_back(conn->remotePort()); });
  }
  void onError(ConnectionPtr conn, const ratchet::Error& error) override {
    Failure f{conn->remotePort(), error.code(), error.what(), {}};
    if (error.exception()) {
      try {
        std::rethrow_exception(error.exception());
      } catch (const std::exception& e) {
        f.rethrown = e.what();
      } catch (...) {
        f.rethrown = "(not a std::exception)";
      }
    }
    probe.update([&] { failures.push_back(f); });
    if (throwFromOnError_) throw std::logic_error("onError cannot cope either");
  }

  // Guarded by probe.
  Probe probe;
  int opens = 0;
  std::vector<Failure> failures;
  std::vector<std::uint16_t> closedPorts;

 private:
  const bool throwFromOnError_;
};

/// Reports what each connection looks like from the inside, and uses per-connection data.
class Inspector : public ratchet::MessageComponentInterface {
 public:
  struct Info {
    std::uint64_t id = 0;
    std::string address;
    std::uint16_t port = 0;
    std::string method, target, path, query;
    std::optional<std::string> room, x, missing, session, theme, noCookie;
    std::string userAgent;
    bool open = false;
    bool hadSession = false;
    ConnectionPtr conn;
  };
  struct Session {
    std::string name;
    int messages = 0;
  };
  struct Other {
    int value = 41;
  };

  void onOpen(ConnectionPtr conn) override {
    Info i;
    i.id = conn->id();
    i.address = conn->remoteAddress();
    i.port = conn->remotePort();
    const auto& r = conn->request();
    i.method = r.method();
    i.target = r.target();
    i.path = r.path();
    i.query = r.query();
    i.room = r.queryParam("room");
    i.x = r.queryParam("x");
    i.missing = r.queryParam("missing");
    i.session = r.cookie("session");
    i.theme = r.cookie("theme");
    i.noCookie = r.cookie("nope");
    i.userAgent = r.header("User-Agent");
    i.open = conn->isOpen();
    i.hadSession = conn->findData<Session>() != nullptr;
    i.conn = conn;
    conn->setData(Session{r.queryParam("room").value_or("anon"), 0});
    probe.update([&] { infos.push_back(std::move(i)); });
  }
  void onMessage(ConnectionPtr from, const Message& message) override {
    // Measured first: nothing is queued for an idle client.
    const auto buffered = from->bufferedAmount();
    auto& session = from->data<Session>();
    ++session.messages;
    if (message == "amount") return from->send(std::to_string(buffered));
    if (message == "other") return from->send(std::to_string(from->data<Other>().value++));
    if (message == "bye") {  // close() flushes what was queued before it
      from->send("last 1");
      from->sendBinary(binaryPayload(300 * 1024));
      from->send("last 3");
      return from->close();
    }
    from->send(session.name + ":" + std::to_string(session.messages) + ":" + message.str());
  }
  void onClose(ConnectionPtr conn) override {
    conn->send("too late");  // after the close: dropped, no crash
    conn->sendBinary("too late");
    conn->close(1000, "again");
    const bool open = conn->isOpen();
    probe.update([&] {
      ++closesById[conn->id()];
      if (open) openInOnClose = true;
    });
  }
  void onError(ConnectionPtr conn, const ratchet::Error& error) override {
    probe.update([&] { errors.push_back(error.what()); });
    conn->close(ratchet::close_code::internal_error);
  }

  // Guarded by probe.
  Probe probe;
  std::vector<Info> infos;
  std::map<std::uint64_t, int> closesById;
  bool openInOnClose = false;
  std::vector<std::string> errors;
};

/// On "flood", queues 64 KiB messages for a client that does not read, until the
/// connection closes (or a hard cap); echoes everything else.
class Flooder : public ratchet::MessageComponentInterface {
 public:
  static constexpr int kCap = 2048;  // 128 MiB: far past any queue limit

  void onOpen(ConnectionPtr) override {}
  void onMessage(ConnectionPtr from, const Message& message) override {
    if (message != "flood") return from->send(message);
    const std::string chunk(64 * 1024, 'f');
    int sent = 0;
    while (sent < kCap && from->isOpen()) from->sendBinary(chunk), ++sent;
    const bool open = from->isOpen();
    const auto port = from->remotePort();
    probe.update([&] {
      floodSent = sent;
      openAfterFlood = open;
      floodedPort = port;
      floodDone = true;
    });
  }
  void onClose(ConnectionPtr conn) override {
    probe.update([&] { closedPorts.push_back(conn->remotePort()); });
  }
  void onError(ConnectionPtr conn, const ratchet::Error& error) override {
    probe.update([&] { errors.emplace_back(conn->remotePort(), error.code()); });
  }

  // Guarded by probe.
  Probe probe;
  bool floodDone = false;
  int floodSent = 0;
  bool openAfterFlood = true;
  std::uint16_t floodedPort = 0;
  std::vector<std::uint16_t> closedPorts;
  std::vector<std::pair<std::uint16_t, boost::system::error_code>> errors;
};

/// Greets every connection from onOpen, and closes it there when asked by the query.
class Greeter : public ratchet::MessageComponentInterface {
 public:
  void onOpen(ConnectionPtr conn) override {
    conn->send("welcome");
    if (conn->request().queryParam("kick")) conn->close(4003, "kicked");
  }
  void onMessage(ConnectionPtr from, const Message& message) override { from->send(message); }
  void onClose(ConnectionPtr conn) override {
    probe.update([&] { ++closesByPort[conn->remotePort()]; });
  }
  void onError(ConnectionPtr, const ratchet::Error& error) override {
    probe.update([&] { errors.push_back(error.what()); });
  }

  // Guarded by probe.
  Probe probe;
  std::map<std::uint16_t, int> closesByPort;
  std::vector<std::string> errors;
};

/// `clients` threads, each with its own WebSocket client, send `messages` messages
/// ("0", "1", ...) as fast as they can, then read one "ok" per message and close. Returns
/// the errors the clients saw.
std::vector<std::string> loadClients(std::uint16_t port, const std::string& target, int clients,
                                     int messages) {
  std::mutex mutex;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  threads.reserve(clients);
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      try {
        test::WsClient c(port, target);
        for (int k = 0; k < messages; ++k) c.send(std::to_string(k));
        int oks = 0;
        for (int k = 0; k < messages; ++k) oks += c.read() == "ok";
        if (oks != messages)
          throw std::runtime_error(std::to_string(oks) + " of " + std::to_string(messages) +
                                   " replies were \"ok\"");
        c.close();
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        errors.push_back("client " + std::to_string(t) + ": " + e.what());
      }
    });
  }
  for (auto& th : threads) th.join();
  return errors;
}

}  // namespace

// ---- 1. echo -------------------------------------------------------------------------------

TEST_CASE("messaging: echo returns text and binary of every size, whole and fragmented") {
  Watchdog dog("echo sizes");
  test::Running<test::RoutedApp> server(test::testOptions(), [](ratchet::App& app) {
    app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
  });
  test::WsClient client(server.port(), "/echo");
  // One frame per write: "whole" really is one frame and each fragment is exactly one frame.
  client.stream().auto_fragment(false);

  const std::size_t sizes[] = {0, 1, 125, 126, 127, 65535, 65536, 4 * 1024 * 1024};
  const std::size_t fragments[] = {0 /* unfragmented */, 7, 1000, 65536};
  int roundTrips = 0;
  for (const bool binary : {false, true}) {
    for (const auto size : sizes) {
      const auto payload = binary ? binaryPayload(size) : textPayload(size);
      for (const auto fragment : fragments) {
        if (fragment == 7 && size > 65536) continue;  // 600k frames: slow, adds nothing
        CAPTURE(binary);
        CAPTURE(size);
        CAPTURE(fragment);
        if (fragment == 0)
          binary ? client.sendBinary(payload) : client.send(payload);
        else
          client.sendFragmented(payload, fragment, binary);
        const auto got = client.read();
        const bool same = got == payload;
        CHECK_MESSAGE(same, "echo differs from what was sent: " << firstDifference(got, payload));
        CHECK(client.lastWasBinary() == binary);
        ++roundTrips;
      }
    }
  }
  CHECK(roundTrips == 2 * (8 * 3 + 7));
  client.close();
}

// ---- 2. chat -------------------------------------------------------------------------------

TEST_CASE("messaging: chat relays each message to every other client exactly once, in order") {
  Watchdog dog("chat");
  auto chat = std::make_shared<Chat>();
  test::Running<test::RoutedApp> server(
      test::testOptions(), [&](ratchet::App& app) { app.route("/chat", chat, {"*"}); });

  constexpr int kClients = 3;
  constexpr int kMessages = 25;
  std::vector<std::unique_ptr<test::WsClient>> clients;
  for (int i = 0; i < kClients; ++i)
    clients.push_back(
        std::make_unique<test::WsClient>(server.port(), "/chat?name=c" + std::to_string(i)));
  // Everyone must be in the chat's set before anyone speaks.
  REQUIRE(chat->probe.waitFor([&] { return chat->opens == kClients; }));

  // Interleaved senders: message k of client i is "c<i>:<k>".
  for (int k = 0; k < kMessages; ++k)
    for (int i = 0; i < kClients; ++i)
      clients[i]->send("c" + std::to_string(i) + ":" + std::to_string(k));

  for (int i = 0; i < kClients; ++i) {
    CAPTURE(i);
    std::map<int, int> next;  // sender -> next expected k
    int own = 0, outOfOrder = 0, malformed = 0;
    for (int n = 0; n < (kClients - 1) * kMessages; ++n) {
      const auto m = clients[i]->read();
      int sender = -1, k = -1;
      if (std::sscanf(m.c_str(), "c%d:%d", &sender, &k) != 2 || sender < 0 || sender >= kClients) {
        ++malformed;
        MESSAGE("client " << i << " got unexpected message '" << m << "'");
        continue;
      }
      if (sender == i) ++own;
      if (k != next[sender]) ++outOfOrder;
      next[sender] = k + 1;
    }
    CHECK(own == 0);
    CHECK(outOfOrder == 0);
    CHECK(malformed == 0);
    for (int s = 0; s < kClients; ++s)
      if (s != i) CHECK(next[s] == kMessages);
  }

  // Nothing else is on its way: after everyone's final marker, the next two things each
  // client reads are the other two markers (a duplicate or an echo would come first).
  for (int i = 0; i < kClients; ++i) clients[i]->send("end:c" + std::to_string(i));
  for (int i = 0; i < kClients; ++i) {
    CAPTURE(i);
    std::set<std::string> markers;
    for (int n = 0; n < kClients - 1; ++n) markers.insert(clients[i]->read());
    std::set<std::string> expected;
    for (int s = 0; s < kClients; ++s)
      if (s != i) expected.insert("end:c" + std::to_string(s));
    CHECK(markers == expected);
  }

  // Relays keep the type, and large messages (framed once, shared by both recipients)
  // arrive intact. c1 speaks only after it got c0's message, so c2 gets them in that order.
  const auto blob = binaryPayload(3000);
  clients[0]->sendBinary(blob);
  CHECK(clients[1]->read() == blob);
  CHECK(clients[1]->lastWasBinary());
  const auto essay = textPayload(200 * 1000);
  clients[1]->send(essay);
  CHECK(clients[2]->read() == blob);
  CHECK(clients[2]->lastWasBinary());
  for (const int i : {2, 0}) {
    CAPTURE(i);
    const auto got = clients[i]->read();
    const bool same = got == essay;
    CHECK_MESSAGE(same, "relayed text differs: " << firstDifference(got, essay));
    CHECK_FALSE(clients[i]->lastWasBinary());
  }

  // c2 crashes (RST, no close handshake): onClose runs once for it, the others go on.
  clients[2]->drop();
  CHECK(chat->probe.waitFor([&] { return chat->closesByName["c2"] >= 1; }));
  clients[0]->send("after:c0");
  CHECK(clients[1]->read() == "after:c0");
  clients[1]->send("after:c1");
  CHECK(clients[0]->read() == "after:c1");
  clients[0]->send("again:c0");
  CHECK(clients[1]->read() == "again:c0");
  chat->probe.read([&] {
    CHECK(chat->closesByName["c2"] == 1);
    CHECK(chat->closes == 1);
    CHECK(chat->clientCount == 2);
  });

  clients[0]->close();
  clients[1]->close();
  CHECK(chat->probe.waitFor([&] { return chat->closes == 3; }));
  server.stop();
  chat->probe.read([&] {
    CHECK(chat->opens == 3);
    CHECK(chat->closes == 3);
    for (int i = 0; i < kClients; ++i) CHECK(chat->closesByName["c" + std::to_string(i)] == 1);
    CHECK(chat->clientCount == 0);
    CHECK(chat->errors.empty());
  });
}

// ---- 3. raw TCP ----------------------------------------------------------------------------

TEST_CASE("messaging: the same chat component serves raw TCP under a bare IoServer") {
  Watchdog dog("raw chat");
  auto chat = std::make_shared<Chat>();
  auto opts = test::testOptions(2).io;
  opts.handleSignals = false;
  test::Running<ratchet::IoServer> server(chat, std::uint16_t{0}, "127.0.0.1", opts);

  test::RawClient a(server.port());
  test::RawClient b(server.port());
  REQUIRE(chat->probe.waitFor([&] { return chat->opens == 2; }));

  for (int k = 0; k < 5; ++k) {
    CAPTURE(k);
    const std::string fromA = "hello from A #" + std::to_string(k) + "\n";
    a.write(fromA);
    CHECK(b.readExactly(fromA.size()) == fromA);
    // If A had received its own bytes they would come before B's reply.
    const std::string fromB = "hello from B #" + std::to_string(k) + "\n";
    b.write(fromB);
    CHECK(a.readExactly(fromB.size()) == fromB);
  }
  // A larger burst arrives whole (in whatever chunks) and in order.
  const auto burst = binaryPayload(256 * 1024);
  a.write(burst);
  const auto got = b.readExactly(burst.size());
  const bool same = got == burst;
  CHECK_MESSAGE(same, "relayed burst differs: " << firstDifference(got, burst));
  b.write("ack");
  CHECK(a.readExactly(3) == "ack");

  a.drop();
  CHECK(chat->probe.waitFor([&] { return chat->closes == 1; }));
  b.write("anyone?");  // relayed to nobody
  CHECK(chat->probe.read([&] { return chat->clientCount; }) == 1);
  // A clean end (FIN) closes too.
  b.socket().shutdown(test::tcp::socket::shutdown_send);
  CHECK(chat->probe.waitFor([&] { return chat->closes == 2; }));

  // A graceful stop ends raw connections with FIN (there is no close frame to send).
  test::RawClient c(server.port());
  REQUIRE(chat->probe.waitFor([&] { return chat->opens == 3; }));
  Probe stopped;
  bool returned = false;
  std::thread stopper([&] {
    server.stop();
    stopped.update([&] { returned = true; });
  });
  CHECK(c.closedByPeer());
  c.socket().shutdown(test::tcp::socket::shutdown_send);  // our FIN: no linger wait
  if (!stopped.waitFor([&] { return returned; }, 20s)) FAIL_CHECK("run() did not return");
  stopper.join();
  chat->probe.read([&] {
    CHECK(chat->opens == 3);
    CHECK(chat->closes == 3);
    CHECK(chat->clientCount == 0);
    CHECK(chat->errors.empty());
  });
}

// ---- 4. hand-built stack -------------------------------------------------------------------

TEST_CASE("messaging: IoServer(HttpServer(WsServer(echo))) built by hand echoes") {
  Watchdog dog("hand-built stack");
  auto echo = std::make_shared<ratchet::EchoServer>();
  auto opts = test::testOptions(2).io;
  test::Running<ratchet::IoServer> server(
      std::make_shared<ratchet::HttpServer>(std::make_shared<ratchet::WsServer>(echo)),
      std::uint16_t{0}, "127.0.0.1", opts);

  test::WsClient client(server.port(), "/any/path?q=1");
  client.send("hello");
  CHECK(client.read() == "hello");
  CHECK_FALSE(client.lastWasBinary());
  client.sendBinary(std::string("\x00\xFF\x80", 3));
  CHECK(client.read() == std::string("\x00\xFF\x80", 3));
  CHECK(client.lastWasBinary());
  const auto big = textPayload(100 * 1000);
  client.sendFragmented(big, 4096);
  CHECK(client.read() == big);

  test::WsClient second(server.port(), "/");
  second.send("second");
  CHECK(second.read() == "second");
  client.close();
  second.close();
}

// ---- 5. concurrency contract ---------------------------------------------------------------

TEST_CASE("messaging: a non-thread-safe component is never called concurrently (4 threads)") {
  Watchdog dog("serialised callbacks", 100s);
  constexpr int kClients = 50;
  constexpr int kMessages = 200;
  auto tally = std::make_shared<Tally>();
  test::Running<test::RoutedApp> server(
      test::testOptions(4), [&](ratchet::App& app) { app.route("/count", tally, {"*"}); });

  const auto errors = loadClients(server.port(), "/count", kClients, kMessages);
  for (const auto& e : errors) MESSAGE(e);
  CHECK(errors.empty());

  // Every client closed; wait for the last onClose, then stop (joining the I/O threads)
  // before reading the component's plain members.
  CHECK(tally->probe.waitFor([&] { return tally->closedPublished == kClients; }));
  server.stop();

  CHECK(tally->overlaps.load() == 0);
  CHECK(tally->count == long{kClients} * kMessages);
  CHECK(tally->opens == kClients);
  CHECK(tally->openViolations == 0);
  CHECK(tally->orderViolations == 0);
  CHECK(tally->violations == 0);
  CHECK(tally->errors == 0);
  CHECK(tally->remaining == 0);
  CHECK(tally->closesById.size() == std::size_t{kClients});
  int notOnce = 0;
  for (const auto& [id, n] : tally->closesById) notOnce += n != 1;
  CHECK(notOnce == 0);
}

TEST_CASE("messaging: clients that vanish mid-stream get one onClose, after their messages") {
  Watchdog dog("drops under load", 100s);
  constexpr int kClients = 30;
  constexpr int kMessages = 200;
  auto tally = std::make_shared<Tally>();
  test::Running<test::RoutedApp> server(
      test::testOptions(4), [&](ratchet::App& app) { app.route("/count", tally, {"*"}); });

  std::mutex mutex;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t)
    threads.emplace_back([&, t] {
      try {
        test::WsClient c(server.port(), "/count");
        for (int k = 0; k < kMessages; ++k) c.send(std::to_string(k));
        // Half wait for a few replies first; all then crash (RST) with replies unread.
        if (t % 2)
          for (int k = 0; k < 10; ++k) c.read();
        c.drop();
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        errors.push_back("client " + std::to_string(t) + ": " + e.what());
      }
    });
  for (auto& th : threads) th.join();
  for (const auto& e : errors) MESSAGE(e);
  CHECK(errors.empty());

  CHECK(tally->probe.waitFor([&] { return tally->closedPublished == kClients; }));
  server.stop();
  CHECK(tally->overlaps.load() == 0);
  CHECK(tally->opens == kClients);
  CHECK(tally->count <= long{kClients} * kMessages);
  CHECK(tally->count >= (kClients / 2) * 10);  // the replies read prove these were handled
  CHECK(tally->openViolations == 0);           // nothing after onClose (or before onOpen)
  CHECK(tally->orderViolations == 0);
  CHECK(tally->violations == 0);
  CHECK(tally->remaining == 0);
  CHECK(tally->closesById.size() == std::size_t{kClients});
  int notOnce = 0;
  for (const auto& [id, n] : tally->closesById) notOnce += n != 1;
  CHECK(notOnce == 0);
}

TEST_CASE("messaging: a component mounted on two routes is still never called concurrently") {
  // "The framework never runs two callbacks of a component at once": App::route wraps each
  // mount in its own WsServer, but the component is the same object.
  Watchdog dog("one component, two routes", 100s);
  constexpr int kClients = 20;  // per route
  constexpr int kMessages = 200;
  auto counter = std::make_shared<PlainCounter>();
  test::Running<test::RoutedApp> server(test::testOptions(4), [&](ratchet::App& app) {
    app.route("/count", counter, {"*"});
    app.route("/count2", counter, {"*"});
  });

  std::vector<std::string> errors;
  std::thread other([&] { errors = loadClients(server.port(), "/count2", kClients, kMessages); });
  auto mine = loadClients(server.port(), "/count", kClients, kMessages);
  other.join();
  errors.insert(errors.end(), mine.begin(), mine.end());
  for (const auto& e : errors) MESSAGE(e);
  CHECK(errors.empty());

  CHECK(counter->probe.waitFor([&] { return counter->closedPublished == 2 * kClients; }));
  server.stop();
  CHECK(counter->overlaps.load() == 0);
  CHECK(counter->count == 2L * kClients * kMessages);
  CHECK(counter->opens == 2 * kClients);
  CHECK(counter->closes == 2 * kClients);
  CHECK(counter->errors == 0);
}

TEST_CASE("messaging: a thread-safe component sees every message of concurrent clients") {
  Watchdog dog("thread-safe component", 100s);
  constexpr int kClients = 50;
  constexpr int kMessages = 200;
  auto tally = std::make_shared<AtomicTally>();
  test::Running<test::RoutedApp> server(
      test::testOptions(4), [&](ratchet::App& app) { app.route("/count", tally, {"*"}); });

  const auto errors = loadClients(server.port(), "/count", kClients, kMessages);
  for (const auto& e : errors) MESSAGE(e);
  CHECK(errors.empty());
  CHECK(tally->count.load() == long{kClients} * kMessages);
  CHECK(tally->probe.waitFor([&] { return tally->closes.load() == kClients; }));
  server.stop();
  CHECK(tally->opens.load() == kClients);
  CHECK(tally->closes.load() == kClients);
  CHECK(tally->errors.load() == 0);
}

// ---- 6. exceptions -------------------------------------------------------------------------

TEST_CASE("messaging: an exception from onMessage reaches onError and the connection lives") {
  Watchdog dog("callback exception");
  auto thrower = std::make_shared<Thrower>(false);
  test::Running<test::RoutedApp> server(
      test::testOptions(), [&](ratchet::App& app) { app.route("/throw", thrower, {"*"}); });
  test::WsClient a(server.port(), "/throw");
  test::WsClient b(server.port(), "/throw");

  a.send("boom");
  a.send("hello");
  CHECK(a.read() == "re:hello");  // no reply to "boom", the next message is served
  REQUIRE(thrower->probe.waitFor([&] { return thrower->failures.size() == 1; }));
  thrower->probe.read([&] {
    const auto& f = thrower->failures.front();
    CHECK(f.code == ratchet::make_error_code(ratchet::errc::callback_threw));
    CHECK(f.what.find("boom requested by the client") != std::string::npos);
    CHECK(f.rethrown == "boom requested by the client");
    CHECK(f.remotePort == localPort(a));
  });

  b.send("still there?");
  CHECK(b.read() == "re:still there?");
  a.send("boom");
  a.send("again");
  CHECK(a.read() == "re:again");
  CHECK(thrower->probe.waitFor([&] { return thrower->failures.size() == 2; }));
  a.send("and again");
  CHECK(a.read() == "re:and again");
  thrower->probe.read([&] {
    CHECK(thrower->closedPorts.empty());
    CHECK(thrower->failures.size() == 2);
  });
  a.close();
  b.close();
}

TEST_CASE("messaging: when onError throws too, that connection is closed with 1011 only") {
  Watchdog dog("onError exception");
  auto thrower = std::make_shared<Thrower>(true);
  test::Running<test::RoutedApp> server(
      test::testOptions(), [&](ratchet::App& app) { app.route("/throw", thrower, {"*"}); });
  test::WsClient bystander(server.port(), "/throw");
  test::WsClient victim(server.port(), "/throw");
  const auto victimPort = localPort(victim);

  victim.send("boom");
  CHECK(victim.readClose() == ratchet::close_code::internal_error);
  CHECK(thrower->probe.waitFor([&] {
    return std::count(thrower->closedPorts.begin(), thrower->closedPorts.end(), victimPort) == 1;
  }));

  bystander.send("unaffected");
  CHECK(bystander.read() == "re:unaffected");
  test::WsClient newcomer(server.port(), "/throw");
  newcomer.send("new");
  CHECK(newcomer.read() == "re:new");
  thrower->probe.read([&] {
    REQUIRE(thrower->failures.size() == 1);
    CHECK(thrower->failures.front().code ==
          ratchet::make_error_code(ratchet::errc::callback_threw));
    CHECK(thrower->closedPorts.size() == 1);
  });
  bystander.close();
  newcomer.close();
}

// ---- 7. Connection API ---------------------------------------------------------------------

TEST_CASE("messaging: Connection exposes id, address, request, cookies and per-connection data") {
  Watchdog dog("connection api");
  auto chatSide = std::make_shared<Inspector>();
  auto echoSide = std::make_shared<Inspector>();
  test::Running<test::RoutedApp> server(test::testOptions(), [&](ratchet::App& app) {
    app.route("/chat", chatSide, {"*"});
    app.route("/echo", echoSide, {"*"});
  });

  test::WsClient one(server.port(), "/chat?room=a%20b&x=1", [](test::websocket::request_type& r) {
    r.set(test::http::field::cookie, "theme=dark; session=s3cr3t");
    r.set(test::http::field::user_agent, "ratchet-e2e/1.0");
  });
  test::WsClient two(server.port(), "/chat?room=other");
  test::WsClient three(server.port(), "/echo");
  REQUIRE(chatSide->probe.waitFor([&] { return chatSide->infos.size() == 2; }));
  REQUIRE(echoSide->probe.waitFor([&] { return echoSide->infos.size() == 1; }));

  const auto infoFor = [](Inspector& side, std::uint16_t port) {
    return side.probe.read([&]() -> Inspector::Info {
      for (const auto& i : side.infos)
        if (i.port == port) return i;
      FAIL_CHECK("no connection from port " << port);
      return {};
    });
  };
  const auto i1 = infoFor(*chatSide, localPort(one));
  const auto i2 = infoFor(*chatSide, localPort(two));
  const auto i3 = infoFor(*echoSide, localPort(three));

  CHECK(std::set<std::uint64_t>{i1.id, i2.id, i3.id}.size() == 3);
  for (const auto* i : {&i1, &i2, &i3}) {
    CHECK(i->address == "127.0.0.1");
    CHECK(i->method == "GET");
    CHECK(i->open);
    CHECK_FALSE(i->hadSession);
  }
  CHECK(i1.target == "/chat?room=a%20b&x=1");
  CHECK(i1.path == "/chat");
  CHECK(i1.query == "room=a%20b&x=1");
  CHECK(i1.room == std::optional<std::string>("a b"));
  CHECK(i1.x == std::optional<std::string>("1"));
  CHECK_FALSE(i1.missing.has_value());
  CHECK(i1.session == std::optional<std::string>("s3cr3t"));
  CHECK(i1.theme == std::optional<std::string>("dark"));
  CHECK_FALSE(i1.noCookie.has_value());
  CHECK(i1.userAgent == "ratchet-e2e/1.0");
  CHECK(i2.room == std::optional<std::string>("other"));
  CHECK_FALSE(i2.session.has_value());
  CHECK(i3.path == "/echo");
  CHECK(i3.target == "/echo");
  CHECK(i3.query.empty());
  CHECK_FALSE(i3.room.has_value());
  CHECK_FALSE(i3.session.has_value());

  // Idle connection: nothing queued.
  three.send("amount");
  CHECK(three.read() == "0");

  // data<T>() keeps its value between callbacks, separately for each connection.
  one.send("p");
  CHECK(one.read() == "a b:1:p");
  two.send("q");
  CHECK(two.read() == "other:1:q");
  one.send("r");
  CHECK(one.read() == "a b:2:r");
  one.send("other");
  CHECK(one.read() == "41");
  one.send("other");
  CHECK(one.read() == "42");
  two.send("other");
  CHECK(two.read() == "41");
  two.send("s");
  CHECK(two.read() == "other:3:s");
  three.send("t");
  CHECK(three.read() == "anon:2:t");
  // Still nothing queued once a lot has gone through (the count does not drift).
  const auto big = textPayload(300 * 1024);
  for (int k = 3; k < 6; ++k) {
    three.send(big);
    CHECK(three.read() == "anon:" + std::to_string(k) + ":" + big);
  }
  three.send("amount");
  CHECK(three.read() == "0");

  // After onClose, a kept ConnectionPtr is inert: sends are dropped, close does nothing.
  one.close();
  REQUIRE(chatSide->probe.waitFor([&] { return chatSide->closesById.count(i1.id) == 1; }));
  const auto kept = i1.conn;
  REQUIRE(kept);
  CHECK_FALSE(kept->isOpen());
  kept->send("after close");
  kept->sendBinary("after close");
  kept->send(Message::binary("after close"));
  kept->close();
  kept->close(4000, "after close");
  CHECK(kept->bufferedAmount() == 0);
  CHECK(kept->request().path() == "/chat");  // the request lives as long as the connection
  CHECK(kept->id() == i1.id);

  // The others are unaffected.
  two.send("u");
  CHECK(two.read() == "other:4:u");
  // A normal close from the component delivers everything queued before it, then 1000.
  two.send("bye");
  CHECK(two.read() == "last 1");
  CHECK(two.read() == binaryPayload(300 * 1024));
  CHECK(two.read() == "last 3");
  CHECK(two.readClose() == ratchet::close_code::normal);
  three.close();
  CHECK(chatSide->probe.waitFor([&] { return chatSide->closesById.size() == 2; }));
  CHECK(echoSide->probe.waitFor([&] { return echoSide->closesById.size() == 1; }));
  server.stop();
  for (auto* side : {chatSide.get(), echoSide.get()}) {
    side->probe.read([&] {
      for (const auto& [id, n] : side->closesById) CHECK(n == 1);
      CHECK_FALSE(side->openInOnClose);
      CHECK(side->errors.empty());
      side->infos.clear();  // drop the kept connections
    });
  }
}

TEST_CASE("messaging: send and close work from threads outside the framework") {
  Watchdog dog("foreign-thread send");
  auto inspector = std::make_shared<Inspector>();
  test::Running<test::RoutedApp> server(
      test::testOptions(), [&](ratchet::App& app) { app.route("/push", inspector, {"*"}); });
  test::WsClient client(server.port(), "/push");
  REQUIRE(inspector->probe.waitFor([&] { return inspector->infos.size() == 1; }));
  const auto conn = inspector->probe.read([&] { return inspector->infos.front().conn; });
  REQUIRE(conn);

  // Server push: several threads send to one connection at once; each thread's messages
  // arrive whole and in its order.
  constexpr int kThreads = 4;
  constexpr int kMessages = 100;
  std::vector<std::thread> pushers;
  for (int t = 0; t < kThreads; ++t)
    pushers.emplace_back([conn, t] {
      for (int k = 0; k < kMessages; ++k) {
        const auto m = "t" + std::to_string(t) + ":" + std::to_string(k);
        if (k % 2)
          conn->sendBinary(m);
        else
          conn->send(m);
      }
    });
  std::map<int, int> next;
  int bad = 0;
  for (int n = 0; n < kThreads * kMessages; ++n) {
    const auto m = client.read();
    int t = -1, k = -1;
    if (std::sscanf(m.c_str(), "t%d:%d", &t, &k) != 2 || k != next[t] ||
        client.lastWasBinary() != (k % 2 == 1)) {
      if (++bad < 5) MESSAGE("unexpected push '" << m << "'");
    }
    next[t] = k + 1;
  }
  for (auto& p : pushers) p.join();
  CHECK(bad == 0);
  for (int t = 0; t < kThreads; ++t) CHECK(next[t] == kMessages);

  // The connection still works both ways, then a foreign thread closes it with a code.
  client.send("ping");
  CHECK(client.read() == "anon:1:ping");
  std::thread closer([conn] { conn->close(4001, "bye from outside"); });
  closer.join();
  CHECK(client.readClose() == 4001);
  CHECK(client.closeReason() == "bye from outside");
  CHECK(inspector->probe.waitFor([&] { return inspector->closesById.size() == 1; }));
  server.stop();
  inspector->probe.read([&] {
    CHECK(inspector->closesById.begin()->second == 1);
    CHECK(inspector->errors.empty());
    inspector->infos.clear();
  });
}

TEST_CASE("messaging: a component may send and close from onOpen") {
  Watchdog dog("send in onOpen");
  auto greeter = std::make_shared<Greeter>();
  test::Running<test::RoutedApp> server(
      test::testOptions(), [&](ratchet::App& app) { app.route("/greet", greeter, {"*"}); });
  test::WsClient welcome(server.port(), "/greet");
  CHECK(welcome.read() == "welcome");  // after the 101, before anything else
  welcome.send("x");
  CHECK(welcome.read() == "x");

  test::WsClient kicked(server.port(), "/greet?kick=1");  // the handshake itself succeeds
  const auto kickedPort = localPort(kicked);
  CHECK(kicked.read() == "welcome");
  CHECK(kicked.readClose() == 4003);
  CHECK(kicked.closeReason() == "kicked");
  CHECK(greeter->probe.waitFor([&] { return greeter->closesByPort.count(kickedPort) == 1; }));

  welcome.send("y");
  CHECK(welcome.read() == "y");
  welcome.close();
  CHECK(greeter->probe.waitFor([&] { return greeter->closesByPort.size() == 2; }));
  server.stop();
  greeter->probe.read([&] {
    for (const auto& [port, n] : greeter->closesByPort) CHECK(n == 1);
    CHECK(greeter->errors.empty());
  });
}

// ---- 8. IPv6 -------------------------------------------------------------------------------

TEST_CASE("messaging: an App bound to ::1 serves IPv6 clients") {
  Watchdog dog("ipv6");
  auto inspector = std::make_shared<Inspector>();
  std::optional<test::Running<test::RoutedApp>> server;
  try {
    server.emplace(
        test::testOptions(), [&](ratchet::App& app) { app.route("/echo", inspector, {"*"}); },
        "::1");
  } catch (const std::exception& e) {
    MESSAGE("skipped: cannot bind ::1 (no IPv6 on this machine?): " << e.what());
    return;
  }
  test::WsClient client(server->port(), "/echo", {}, "::1");
  client.send("v6");
  CHECK(client.read() == "anon:1:v6");
  REQUIRE(inspector->probe.waitFor([&] { return inspector->infos.size() == 1; }));
  inspector->probe.read([&] {
    CHECK(inspector->infos.front().address == "::1");
    CHECK(inspector->infos.front().port == localPort(client));
  });
  client.close();
  CHECK(inspector->probe.waitFor([&] { return inspector->closesById.size() == 1; }));
  server->stop();
  inspector->probe.read([&] { inspector->infos.clear(); });
}

// ---- 9. graceful stop ----------------------------------------------------------------------

TEST_CASE("messaging: stop() closes every client with 1001 and run() returns") {
  Watchdog dog("graceful stop");
  auto chat = std::make_shared<Chat>();
  test::Running<test::RoutedApp> server(
      test::testOptions(), [&](ratchet::App& app) { app.route("/chat", chat, {"*"}); });
  test::WsClient a(server.port(), "/chat?name=a");
  test::WsClient b(server.port(), "/chat?name=b");
  REQUIRE(chat->probe.waitFor([&] { return chat->opens == 2; }));
  a.send("ready");  // both really talk to the chat
  CHECK(b.read() == "ready");

  // Running::stop() blocks until run() returns: call it elsewhere, read here.
  Probe stopped;
  bool returned = false;
  std::thread stopper([&] {
    server.stop();
    stopped.update([&] { returned = true; });
  });
  const auto codeA = a.readClose();
  const auto codeB = b.readClose();
  CHECK(codeA == ratchet::close_code::going_away);
  CHECK(codeB == ratchet::close_code::going_away);
  const bool ran = stopped.waitFor([&] { return returned; }, 20s);
  if (!ran) {
    // Joining would hang: the watchdog turns it into a failure.
    FAIL_CHECK("run() did not return after stop()");
  }
  stopper.join();
  chat->probe.read([&] {
    CHECK(chat->closes == 2);
    CHECK(chat->closesByName["a"] == 1);
    CHECK(chat->closesByName["b"] == 1);
    CHECK(chat->clientCount == 0);
  });
}

TEST_CASE("messaging: stop() returns after the shutdown timeout if a client ignores the close") {
  Watchdog dog("stop with a deaf client");
  auto chat = std::make_shared<Chat>();
  auto options = test::testOptions();  // shutdownTimeout: 3 s
  test::Running<test::RoutedApp> server(
      options, [&](ratchet::App& app) { app.route("/chat", chat, {"*"}); });
  test::RawClient deaf(server.port());
  deaf.upgrade("/chat?name=deaf");  // then never reads or answers anything
  test::WsClient polite(server.port(), "/chat?name=polite");
  REQUIRE(chat->probe.waitFor([&] { return chat->opens == 2; }));

  Probe stopped;
  bool returned = false;
  const auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] {
    server.stop();
    stopped.update([&] { returned = true; });
  });
  CHECK(polite.readClose() == ratchet::close_code::going_away);
  const bool ran = stopped.waitFor([&] { return returned; }, 30s);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  if (!ran) FAIL_CHECK("run() did not return after stop()");
  stopper.join();  // (if it hangs, the watchdog fails the test)
  CHECK(elapsed < options.io.shutdownTimeout + 5s);
  chat->probe.read([&] {
    CHECK(chat->closesByName["deaf"] == 1);
    CHECK(chat->closesByName["polite"] == 1);
    CHECK(chat->clientCount == 0);
  });
}

// ---- 10. outgoing queue limit --------------------------------------------------------------

TEST_CASE("messaging: a client that does not read is closed at maxQueuedBytes, others go on") {
  Watchdog dog("queue limit");
  auto flooder = std::make_shared<Flooder>();
  auto options = test::testOptions();
  options.io.maxQueuedBytes = 1024 * 1024;
  test::Running<test::RoutedApp> server(options, [&](ratchet::App& app) {
    app.route("/flood", flooder, {"*"});
    app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
  });
  test::WsClient flooded(server.port(), "/flood");
  test::WsClient other(server.port(), "/flood");
  test::WsClient echo(server.port(), "/echo");
  const auto floodedPort = localPort(flooded);

  flooded.send("flood");  // and do not read
  // onError comes after the flooding onMessage returns: callbacks never overlap.
  REQUIRE(flooder->probe.waitFor([&] { return flooder->floodDone && !flooder->errors.empty(); }));
  flooder->probe.read([&] {
    CHECK(flooder->floodedPort == floodedPort);
    CHECK_FALSE(flooder->openAfterFlood);
    CHECK(flooder->floodSent < Flooder::kCap);
    // 1 MiB holds 15 frames of 64 KiB (+ header); what the kernel takes comes on top.
    CHECK(flooder->floodSent >= 15);
    REQUIRE(flooder->errors.size() == 1);
    CHECK(flooder->errors.front().first == floodedPort);
    CHECK(flooder->errors.front().second ==
          ratchet::make_error_code(ratchet::errc::queue_overflow));
  });

  // Meanwhile the server, and the same component, serve others.
  other.send("still served");
  CHECK(other.read() == "still served");
  echo.sendBinary(binaryPayload(100 * 1024));
  CHECK(echo.read() == binaryPayload(100 * 1024));

  // The flooded client finally reads: the queued messages, then the close.
  const auto code = flooded.readClose();
  CHECK_MESSAGE(
      (code == ratchet::close_code::policy_violation || code == ratchet::close_code::abnormal),
      "close code " << code);
  if (code != ratchet::close_code::policy_violation)
    MESSAGE("connection ended without a close frame (code " << code << ")");
  CHECK(flooder->probe.waitFor([&] {
    return std::count(flooder->closedPorts.begin(), flooder->closedPorts.end(), floodedPort) == 1;
  }));

  other.send("after");
  CHECK(other.read() == "after");
  other.close();
  echo.close();
  CHECK(flooder->probe.waitFor([&] { return flooder->closedPorts.size() == 2; }));
}

TEST_CASE("messaging: the queue limit also holds for sends from outside the callbacks") {
  Watchdog dog("queue limit, foreign thread");
  auto flooder = std::make_shared<Flooder>();
  auto options = test::testOptions();
  options.io.maxQueuedBytes = 1024 * 1024;
  auto inspector = std::make_shared<Inspector>();
  test::Running<test::RoutedApp> server(options, [&](ratchet::App& app) {
    app.route("/flood", flooder, {"*"});
    app.route("/inspect", inspector, {"*"});
  });
  test::WsClient flooded(server.port(), "/inspect");  // will not read for a while
  test::WsClient other(server.port(), "/flood");
  REQUIRE(inspector->probe.waitFor([&] { return inspector->infos.size() == 1; }));
  const auto conn = inspector->probe.read([&] { return inspector->infos.front().conn; });

  // Push from the test thread (no callback running, writes not held back) until the
  // connection gives up: the kernel's buffers fill, then the 1 MiB queue.
  const std::string chunk(64 * 1024, 'p');
  int sent = 0;
  while (sent < Flooder::kCap && conn->isOpen()) conn->sendBinary(chunk), ++sent;
  CHECK_FALSE(conn->isOpen());
  CHECK(sent < Flooder::kCap);
  CHECK(conn->bufferedAmount() <= options.io.maxQueuedBytes);

  other.send("served meanwhile");
  CHECK(other.read() == "served meanwhile");

  const auto code = flooded.readClose();
  CHECK_MESSAGE(
      (code == ratchet::close_code::policy_violation || code == ratchet::close_code::abnormal),
      "close code " << code);
  if (code != ratchet::close_code::policy_violation)
    MESSAGE("connection ended without a close frame (code " << code << ")");
  CHECK(inspector->probe.waitFor([&] { return inspector->closesById.size() == 1; }));
  other.close();
  server.stop();
  inspector->probe.read([&] {
    CHECK(inspector->closesById.begin()->second == 1);
    // Inspector's onError closes with 1011: the queue overflow is reported once.
    CHECK(inspector->errors.size() == 1);
    inspector->infos.clear();
  });
}
