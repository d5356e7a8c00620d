// Limits: connection counts, idle timeout, and slow readers that must not hold others back.
#include "e2e/support.hpp"

#include <set>
#include <thread>

namespace {

using ratchet::ConnectionPtr;

// Chat that records the largest queue it ever saw behind a send.
struct Chat : ratchet::MessageComponentInterface {
  std::set<ConnectionPtr> clients;
  std::size_t maxBuffered = 0;  // read after the server stopped
  test::Signal closed;
  int closes = 0;  // guarded by closed.mutex()
  void onOpen(ConnectionPtr c) override { clients.insert(c); }
  void onMessage(ConnectionPtr from, const ratchet::Message& m) override {
    for (auto& c : clients) {
      if (c == from) continue;
      c->send(m);
      maxBuffered = std::max(maxBuffered, c->bufferedAmount());
    }
  }
  void onClose(ConnectionPtr c) override {
    clients.erase(c);
    {
      std::lock_guard l(closed.mutex());
      ++closes;
    }
    closed.notify();
  }
  void onError(ConnectionPtr, const ratchet::Error& e) override {
    overflows += e.code() == ratchet::errc::queue_overflow;
  }
  std::atomic<int> overflows = 0;
};

// Rounds of: every talker sends one message, then reads the others' messages of that round.
// Returns the number of messages each talker received (all must get every one).
std::vector<int> chatRounds(std::vector<std::unique_ptr<test::WsClient>>& talkers, int rounds,
                            std::size_t size) {
  std::vector<int> received(talkers.size());
  for (int r = 0; r < rounds; ++r) {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < talkers.size(); ++i)
      threads.emplace_back([&, i] {
        try {
          talkers[i]->sendBinary(std::string(size, char('a' + i)));
        } catch (const std::exception&) {
          received[i] = -1000000;  // fails the count check below
        }
      });
    for (auto& t : threads) t.join();
    threads.clear();
    for (std::size_t i = 0; i < talkers.size(); ++i)
      threads.emplace_back([&, i] {
        try {
          for (std::size_t k = 0; k + 1 < talkers.size(); ++k)
            if (talkers[i]->read().size() == size) ++received[i];
        } catch (const std::exception&) {
          received[i] = -1000000;
        }
      });
    for (auto& t : threads) t.join();
  }
  return received;
}

void slowReaderScenario(ratchet::QueuePolicy policy) {
  constexpr int kTalkers = 20, kRounds = 16;
  // A talker's queue holds at most one round (19 x 32 KiB) while it is busy sending.
  constexpr std::size_t kSize = 32 * 1024, kLimit = 1024 * 1024;
  auto options = test::testOptions(2);
  options.io.maxQueuedBytes = kLimit;
  options.ws.queuePolicy = policy;
  options.io.lingerTimeout = std::chrono::milliseconds(200);  // for the slow reader's end
  auto chat = std::make_shared<Chat>();
  auto ws = std::make_shared<ratchet::WsServer>(chat, options.ws);
  test::Running<test::RoutedApp> server(options, [&](ratchet::App& app) {
    app.route("/chat", std::static_pointer_cast<ratchet::HttpServerInterface>(ws), {"*"});
  });

  // The slow reader joins first and never reads. It is sent 10 MiB, more than the kernel's
  // buffers hold (its receive buffer is made small), so the server's queue for it fills up.
  test::RawClient slow(server.port());
  slow.socket().set_option(test::asio::socket_base::receive_buffer_size(4096));
  slow.upgrade("/chat");
  std::vector<std::unique_ptr<test::WsClient>> talkers;
  for (int i = 0; i < kTalkers; ++i)
    talkers.push_back(std::make_unique<test::WsClient>(server.port(), "/chat"));

  const auto received = chatRounds(talkers, kRounds, kSize);
  for (int i = 0; i < kTalkers; ++i) {
    CAPTURE(i);
    CHECK(received[i] == (kTalkers - 1) * kRounds);  // nobody else lost a message
  }

  if (policy == ratchet::QueuePolicy::close) {
    // It was failed (1008 queued behind what it never read), then dropped after the linger
    // timeout: a reader that stopped reading cannot hold its queue.
    CHECK(chat->closed.waitFor([&] { return chat->closes >= 1; }));
    CHECK(chat->overflows == 1);
    CHECK(ws->droppedMessages() == 0);
  } else {
    CHECK(ws->droppedMessages() > 0);
    std::lock_guard lock(chat->closed.mutex());  // closes is written under it
    CHECK(chat->closes == 0);
  }
  slow.drop();
  for (auto& t : talkers) t->close();
  CHECK(chat->closed.waitFor([&] { return chat->closes == kTalkers + 1; }));
  server.stop();
  // Memory stayed bounded: the queue never passed the limit by more than one message.
  CHECK(chat->maxBuffered <= kLimit + kSize + 16);
}

}  // namespace

TEST_CASE("limits: a slow reader is closed with 1008 while 20 others chat at full speed") {
  slowReaderScenario(ratchet::QueuePolicy::close);
}

TEST_CASE("limits: with QueuePolicy::drop a slow reader loses messages, not the others") {
  slowReaderScenario(ratchet::QueuePolicy::drop);
}

TEST_CASE("limits: connections over maxConnections are refused at accept") {
  auto options = test::testOptions(1);
  options.io.maxConnections = 3;
  test::Running<test::RoutedApp> server(options, [](ratchet::App& app) {
    app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
  });
  std::vector<std::unique_ptr<test::WsClient>> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<test::WsClient>(server.port()));
  test::RawClient refused(server.port());
  CHECK(refused.closedByPeer());
  // Room again once one leaves (the count drops when the server has seen the close).
  held.back()->close();
  held.pop_back();
  bool admitted = false;
  for (int attempt = 0; attempt < 200 && !admitted; ++attempt) {  // polls the server's count
    try {
      test::WsClient again(server.port());
      again.send("in");
      admitted = again.read() == "in";
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling, bounded
    }
  }
  CHECK(admitted);
}

TEST_CASE("limits: connections over maxConnectionsPerIp are refused, other addresses are not") {
  auto options = test::testOptions(1);
  options.io.maxConnectionsPerIp = 2;
  test::Running<test::RoutedApp> server(options, [](ratchet::App& app) {
    app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
  });
  test::WsClient a(server.port()), b(server.port());
  test::RawClient third(server.port());
  CHECK(third.closedByPeer());
  // The same server from another loopback address (127.0.0.2) still admits.
  test::asio::io_context ioc;
  test::tcp::socket other(ioc);
  other.open(test::tcp::v4());
  other.bind(test::tcp::endpoint(test::asio::ip::make_address("127.0.0.2"), 0));
  other.connect(test::tcp::endpoint(test::asio::ip::make_address("127.0.0.1"), server.port()));
  test::Deadline deadline(other);
  auto bounded = deadline.scope();
  test::asio::write(other,
                    test::asio::buffer(std::string_view(
                        "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n")));
  char head[12] = {};
  test::asio::read(other, test::asio::buffer(head));
  CHECK(std::string_view(head, 12) == "HTTP/1.1 101");
  a.send("a");
  CHECK(a.read() == "a");
}

TEST_CASE("limits: idleTimeout closes a connection that sends no message") {
  auto options = test::testOptions(1);
  options.ws.idleTimeout = std::chrono::milliseconds(300);
  options.ws.pingInterval = std::chrono::milliseconds(100);  // pings and pongs are not messages
  test::Running<test::RoutedApp> server(options, [](ratchet::App& app) {
    app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
  });
  test::WsClient busy(server.port());
  // Messages every 100 ms keep it open well past the timeout (the pace is what is tested).
  for (int i = 0; i < 6; ++i) {
    busy.send("tick");
    CHECK(busy.read() == "tick");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Then silence: the server closes with 1000 "idle timeout" (Beast answers the pings).
  CHECK(busy.readClose() == ratchet::close_code::normal);
  CHECK(busy.closeReason() == "idle timeout");
}
