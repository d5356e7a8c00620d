// The steady state of an echo allocates nothing on the server's I/O thread.
//
// This binary interposes glibc's malloc family (Asio takes its operation memory straight
// from malloc/aligned_alloc, not from operator new) and counts the calls made on one thread:
// the server's, learnt from the component's onOpen. The client runs on another thread, so
// its allocations are not counted. Not built under sanitizers, which own malloc themselves.
#include "e2e/support.hpp"

#include <atomic>
#include <cstdlib>
#include <thread>

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
}

namespace {

std::atomic<std::thread::id> countedThread;
std::atomic<long> allocations{0};

void count() noexcept {
  if (std::this_thread::get_id() == countedThread.load(std::memory_order_relaxed))
    allocations.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

extern "C" {
void* malloc(std::size_t n) {
  count();
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  count();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  count();
  return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) {
  count();
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
  count();
  *out = __libc_memalign(alignment, n);
  return *out ? 0 : ENOMEM;
}
}

namespace {

/// EchoServer that tells the counter which thread is the server's.
struct CountedEcho : ratchet::EchoServer {
  void onOpen(ratchet::ConnectionPtr conn) override {
    countedThread.store(std::this_thread::get_id());
    EchoServer::onOpen(std::move(conn));
  }
};

/// Allocations on the server's thread while `rounds` messages of `size` bytes are echoed,
/// after a warm-up that lets every reusable buffer reach its size.
long allocationsPerEcho(std::size_t size, int rounds) {
  test::Running<test::RoutedApp> server(test::testOptions(1), [](ratchet::App& a) {
    a.route("/echo", std::make_shared<CountedEcho>(), {"*"});
  });
  test::WsClient client(server.port(), "/echo");
  const std::string payload(size, 'x');
  for (int i = 0; i < 50; ++i) {
    client.send(payload);
    REQUIRE(client.read() == payload);
  }
  const long before = allocations.load();
  for (int i = 0; i < rounds; ++i) {
    client.send(payload);
    REQUIRE(client.read().size() == size);
  }
  const long counted = allocations.load() - before;
  countedThread.store({});
  return counted;
}

}  // namespace

TEST_CASE("alloc: the counter sees allocations on the counted thread, and only there") {
  countedThread.store(std::this_thread::get_id());
  long before = allocations.load();
  void* volatile p = std::malloc(64);
  std::free(p);
  CHECK(allocations.load() - before == 1);

  countedThread.store({});
  before = allocations.load();
  p = std::malloc(64);
  std::free(p);
  CHECK(allocations.load() - before == 0);
}

TEST_CASE("alloc: echoing small and 4 KiB messages allocates nothing per message") {
  test::Watchdog watchdog("alloc echo");
  for (std::size_t size : {std::size_t{32}, std::size_t{125}, std::size_t{4096}}) {
    CAPTURE(size);
    CHECK(allocationsPerEcho(size, 1000) == 0);
  }
}
