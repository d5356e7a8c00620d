// The in-memory transport under the real HTTP and WebSocket layers: no socket, virtual time.
#include "io/memory_transport.hpp"
#include "memory_test_support.hpp"

#include <ratchet/ratchet.hpp>

#include <doctest/doctest.h>

#include <stdexcept>

using ratchet::Duration;
using ratchet::detail::MemoryTransport;
using namespace memtest;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<ratchet::HttpServer> helloServer() {
  auto router = std::make_shared<ratchet::Router>();
  router->add("/hello", std::make_shared<ratchet::HttpHandler>([](const ratchet::Request&) {
                return ratchet::HttpResponse::text("hi\n");
              }));
  return std::make_shared<ratchet::HttpServer>(router);
}

}  // namespace

TEST_CASE("memory transport: a request is answered and the connection kept alive") {
  auto t = MemoryTransport::open(helloServer());
  t->feed("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto out = t->take();
  CHECK(out.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(out.ends_with("\r\n\r\nhi\n"));
  CHECK(out.find("Connection: keep-alive") != std::string::npos);
  CHECK_FALSE(t->finishing());
  t->feed("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(t->take().starts_with("HTTP/1.1 404 "));
}

TEST_CASE("memory transport: an idle keep-alive connection closes after keepAliveTimeout") {
  auto t = MemoryTransport::open(helloServer());
  t->feed("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  t->advance(4900ms);
  CHECK_FALSE(t->finishing());
  t->advance(200ms);
  CHECK(t->finishing());
}

// ---- a raw-bytes component, as under a bare IoServer ----------------------------------------

TEST_CASE("memory transport: a raw component gets the bytes as they come, and sends raw bytes") {
  auto app = std::make_shared<RecordingComponent>();
  auto t = MemoryTransport::open(app);
  REQUIRE(app->events == std::vector<std::string>{"open"});
  const auto conn = app->conns.at(0);
  CHECK(conn.get() == t.get());  // the transport is the connection
  CHECK(conn->request().method().empty());
  t->feed("abc");
  t->feed(std::string("\x00\xff", 2));
  CHECK(app->events ==
        std::vector<std::string>{"open", "binary:abc", std::string("binary:\x00\xff", 9)});
  conn->send("text goes out as it is");
  CHECK(t->take() == "text goes out as it is");
  conn->close(1001, "codes mean nothing here");
  CHECK(t->finishing());
  CHECK(t->writesEnded());
  CHECK_FALSE(conn->isOpen());
  t->feed("after close");  // not delivered
  CHECK(app->events.size() == 3);
  t->advance(2s);  // the linger timeout ends it
  CHECK(t->closed());
  CHECK(app->events.back() == "close");
  t->peerCloses();
  CHECK(app->countOf("close") == 1);
}

TEST_CASE("memory transport: a raw send past the queue limit aborts the connection") {
  QuietLog quiet;
  auto app = std::make_shared<RecordingComponent>();
  MemoryTransport::Options options;
  options.maxQueuedBytes = 8;
  auto t = MemoryTransport::open(app, options);
  t->stall();
  app->conns[0]->send("0123456789");  // on an empty queue: passes
  CHECK(t->bufferedAmount() == 10);
  CHECK_FALSE(t->closed());
  app->conns[0]->send("x");
  CHECK(t->closed());
  CHECK(app->events == std::vector<std::string>{"open", "close"});
  t->unstall();
  CHECK(t->written().empty());  // dropped with the connection
}

TEST_CASE("memory transport: the virtual clock fires the one timer when due, once") {
  auto app = std::make_shared<RecordingComponent>();
  auto t = MemoryTransport::open(app);
  int fired = 0;
  t->setTimer(100ms, [&] { ++fired; });
  t->setTimer(50ms, [&] { fired += 10; });  // replaces the first
  CHECK(t->timerIn() == Duration(50ms));
  t->advance(49ms);
  CHECK(fired == 0);
  CHECK(t->timerIn() == Duration(1ms));
  t->advance(1ms);
  CHECK(fired == 10);
  CHECK_FALSE(t->timerIn().has_value());
  t->advance(1h);
  CHECK(fired == 10);
  t->setTimer(10ms, [&] { ++fired; });
  t->cancelTimer();
  t->advance(1h);
  CHECK(fired == 10);
}

// ---- the Dispatcher and SerialQueue, with a component that is not thread-safe ---------------

TEST_CASE(
    "dispatcher: an event raised inside a callback of a non-thread-safe component waits "
    "for it to return") {
  QuietLog quiet;
  for (bool threadSafe : {false, true}) {
    CAPTURE(threadSafe);
    MemoryTransport::Options to;
    to.maxQueuedBytes = 16;
    ratchet::WsOptions o;
    o.pingInterval = ratchet::Duration(0);
    WsStack s(o, to, threadSafe);
    REQUIRE(s.upgrade());
    s.t->stall();
    s.conn()->send(std::string(20, 'a'));
    // The component's send overflows the queue: the queue policy reports onError.
    s.app->messageHook = [&](const ConnectionPtr& c, const ratchet::Message&) {
      c->send("overflow");
      s.app->events.push_back("hook done");
    };
    s.t->feed(clientText("go"));
    if (threadSafe) {
      CHECK(s.app->events ==
            std::vector<std::string>{"open", "text:go", "error:queue_overflow", "hook done"});
      CHECK(s.app->maxDepth == 2);  // called inside onMessage
    } else {
      CHECK(s.app->events ==
            std::vector<std::string>{"open", "text:go", "hook done", "error:queue_overflow"});
      CHECK(s.app->maxDepth == 1);
    }
  }
}

TEST_CASE("dispatcher: events queued behind a callback run in order, past one batch") {
  QuietLog quiet;
  MemoryTransport::Options to;
  to.maxQueuedBytes = 16;
  ratchet::WsOptions o;
  o.pingInterval = ratchet::Duration(0);
  WsStack s(o, to);
  REQUIRE(s.upgrade());
  constexpr int kOthers = 70;  // more than SerialQueue's batch of 64
  std::vector<std::shared_ptr<MemoryTransport>> others;
  for (int i = 0; i < kOthers; ++i) {
    others.push_back(MemoryTransport::open(s.http, to));
    others.back()->feed(upgradeRequest());
    REQUIRE(others.back()->take() == kSwitching);
    others.back()->stall();
    s.app->conns.back()->send(std::string(20, 'a'));
  }
  REQUIRE(s.app->conns.size() == kOthers + 1);
  const std::vector<ConnectionPtr> targets(s.app->conns.begin() + 1, s.app->conns.end());
  s.app->messageHook = [&](const ConnectionPtr&, const ratchet::Message&) {
    for (const auto& c : targets) c->send("overflow");
  };
  s.t->feed(clientText("go"));
  CHECK(s.app->maxDepth == 1);
  CHECK(s.app->countOf("error:queue_overflow") == kOthers);
  CHECK(s.app->errorConns == targets);
  for (const auto& t : others) CHECK(t->finishing());
}

TEST_CASE("dispatcher: a callback that throws reaches onError with the exception") {
  ratchet::WsOptions o;
  o.pingInterval = ratchet::Duration(0);
  WsStack s(o);
  REQUIRE(s.upgrade());
  s.app->messageHook = [](const ConnectionPtr&, const ratchet::Message& m) {
    if (m == "throw") throw std::runtime_error("boom");
  };
  s.t->feed(clientText("throw") + clientText("next"));
  CHECK(s.app->events ==
        std::vector<std::string>{"open", "text:throw", "error:callback_threw", "text:next"});
  CHECK(s.app->lastErrorWhat == "boom");
  REQUIRE(s.app->lastException);
  CHECK_THROWS_WITH_AS(std::rethrow_exception(s.app->lastException), "boom", std::runtime_error);
  CHECK(s.conn()->isOpen());  // the component decides
  CHECK(s.t->written().empty());
}

TEST_CASE("dispatcher: when onError throws too, the connection closes with 1011") {
  QuietLog quiet;
  struct Fragile : RecordingComponent {
    void onMessage(ConnectionPtr, const ratchet::Message&) override {
      throw std::runtime_error("in onMessage");
    }
    void onError(ConnectionPtr, const ratchet::Error&) override {
      ++errorCalls;
      throw std::runtime_error("in onError");
    }
    int errorCalls = 0;
  };
  auto app = std::make_shared<Fragile>();
  auto router = std::make_shared<ratchet::Router>();
  ratchet::WsOptions o;
  o.pingInterval = ratchet::Duration(0);
  router->add("/ws", std::make_shared<ratchet::WsServer>(app, o));
  auto t = MemoryTransport::open(std::make_shared<ratchet::HttpServer>(router));
  t->feed(upgradeRequest());
  REQUIRE(t->take() == kSwitching);
  t->feed(clientText("x"));
  CHECK(app->errorCalls == 1);
  const auto frame = onlyFrame(t->take());
  CHECK(frame.opcode == 0x8);
  CHECK(frame.closeCode() == 1011);
  CHECK(frame.closeReason() == "internal error");
}

TEST_CASE("dispatcher: one non-thread-safe component on two connections sees each in order") {
  ratchet::WsOptions o;
  o.pingInterval = ratchet::Duration(0);
  WsStack s(o);
  REQUIRE(s.upgrade());
  auto t2 = MemoryTransport::open(s.http);
  t2->feed(upgradeRequest() + clientText("b1"));
  s.t->feed(clientText("a1") + clientText("a2"));
  t2->feed(clientText("b2"));
  s.t->peerCloses();
  t2->feed(clientText("b3"));
  t2->peerCloses();
  CHECK(s.app->events == std::vector<std::string>{"open", "open", "text:b1", "text:a1", "text:a2",
                                                  "text:b2", "close", "text:b3", "close"});
  CHECK(s.app->closed == std::vector<ConnectionPtr>{s.app->conns[0], s.app->conns[1]});
  CHECK(s.app->maxDepth == 1);
}
