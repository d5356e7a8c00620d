// bench-beast-chat: the broadcast of Boost.Beast's websocket-chat-multi example. A
// shared_state holds the sessions under a mutex; send() copies their weak pointers under the
// lock, then posts the shared message to each session's strand, where it joins that
// session's own queue. Unlike the example, a message goes to every client but its sender.

#include "beast_main.hpp"

#include <boost/beast/websocket.hpp>

#include <mutex>
#include <unordered_set>

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;

namespace {

class Session;

class SharedState {
 public:
  void join(Session* s) {
    std::lock_guard lock(mutex_);
    sessions_.insert(s);
  }
  void leave(Session* s) {
    std::lock_guard lock(mutex_);
    sessions_.erase(s);
  }
  void send(std::string message, const Session* from);

 private:
  std::mutex mutex_;
  std::unordered_set<Session*> sessions_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(net::ip::tcp::socket&& socket, std::shared_ptr<SharedState> state)
      : ws_(std::move(socket)), state_(std::move(state)) {}
  ~Session() { state_->leave(this); }

  void run() {
    net::dispatch(ws_.get_executor(), [self = shared_from_this()] { self->onRun(); });
  }

  // Any thread: hands the message to this session's strand.
  void send(const std::shared_ptr<const std::string>& message) {
    net::post(ws_.get_executor(), [self = shared_from_this(), message] { self->onSend(message); });
  }

 private:
  void onRun() {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.async_accept([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->state_->join(self.get());
      self->read();
    });
  }
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      self->state_->send(beast::buffers_to_string(self->buffer_.data()), self.get());
      self->buffer_.consume(self->buffer_.size());
      self->read();
    });
  }
  void onSend(const std::shared_ptr<const std::string>& message) {
    queue_.push_back(message);
    if (queue_.size() > 1) return;  // a write is already in progress
    write();
  }
  void write() {
    ws_.async_write(net::buffer(*queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      if (ec) return;
                      self->queue_.erase(self->queue_.begin());
                      if (!self->queue_.empty()) self->write();
                    });
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::shared_ptr<SharedState> state_;
  std::vector<std::shared_ptr<const std::string>> queue_;
};

void SharedState::send(std::string message, const Session* from) {
  const auto shared = std::make_shared<const std::string>(std::move(message));
  std::vector<std::weak_ptr<Session>> sessions;
  {
    std::lock_guard lock(mutex_);
    sessions.reserve(sessions_.size());
    for (Session* s : sessions_)
      if (s != from) sessions.emplace_back(s->weak_from_this());
  }
  for (const auto& weak : sessions)
    if (auto session = weak.lock()) session->send(shared);
}

}  // namespace

int main(int argc, char** argv) {
  return bench::runBeastServer<Session>(argc, argv, "bench-beast-chat",
                                        std::make_shared<SharedState>());
}
