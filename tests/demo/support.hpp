#pragma once
// The demo server (demo::mount) on a loopback port, and a chat client that speaks its JSON.

#include "e2e/support.hpp"

#include "demo.hpp"

#include <boost/json.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <string>

namespace demo_test {

namespace json = boost::json;

/// The string at `key`, or "" when it is missing or not a string.
inline std::string_view str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}

/// A web root with one page, removed again by the destructor.
struct WebRoot {
  WebRoot() {
    static int serial = 0;
    path = std::filesystem::temp_directory_path() /
           ("ratchet-demo-test-" + std::to_string(::getpid()) + "-" + std::to_string(++serial));
    std::filesystem::create_directories(path);
    std::ofstream(path / "index.html") << "<!doctype html><title>chat</title>\n";
  }
  ~WebRoot() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path path;
};

inline constexpr const char* kToken = "demo-test-token";

/// The demo's routes on a running App; `pushToken` empty turns /push off.
struct DemoServer {
  explicit DemoServer(std::string pushToken = kToken, unsigned threads = 2)
      : app(test::testOptions(threads), [&](ratchet::App& a) {
          demo::mount(a, {root.path, pushToken});
        }) {}
  std::uint16_t port() { return app.port(); }

  WebRoot root;  // before app: mount() needs it
  test::Running<test::RoutedApp> app;
};

/// A WebSocket client of /chat that sends and reads JSON objects.
class ChatClient {
 public:
  explicit ChatClient(std::uint16_t port) : ws_(port, "/chat") {}

  void send(const json::object& o) { ws_.send(json::serialize(o)); }
  void sendRaw(std::string_view text) { ws_.send(text); }
  void sendBinary(std::string_view bytes) { ws_.sendBinary(bytes); }

  /// The next message, which must be a JSON object.
  json::object next() {
    const std::string text = ws_.read();
    json::value v = json::parse(text);
    REQUIRE_MESSAGE(v.is_object(), text);
    return std::move(v.as_object());
  }
  /// The next message, which must be of `type`.
  json::object expect(std::string_view type) {
    json::object o = next();
    REQUIRE_MESSAGE(str(o, "type") == type, json::serialize(o));
    return o;
  }
  /// The next message must be an error whose text contains `words`.
  void expectError(std::string_view words) {
    const json::object o = expect("error");
    const std::string_view text = str(o, "message");
    CHECK_MESSAGE(text.find(words) != std::string_view::npos, text);
  }
  /// Joins as `name` and reads the reply and the user list that follows it.
  json::object join(std::string_view name, std::string_view color = {}) {
    json::object request{{"type", "join"}, {"name", name}};
    if (!color.empty()) request["color"] = color;
    send(request);
    json::object joined = expect("joined");
    expect("users");
    return joined;
  }
  void say(std::string_view text, std::string_view toName = {}) {
    json::object o{{"message", text}};
    if (!toName.empty()) o["toname"] = toName;
    send(o);
  }
  /// Asks for the user list and returns it.
  std::vector<std::string> users() {
    send({{"type", "users"}});
    const json::object reply = expect("users");  // kept: the loop refers into it
    std::vector<std::string> names;
    for (const auto& n : reply.at("users").as_array()) names.emplace_back(n.as_string());
    return names;
  }
  test::WsClient& ws() { return ws_; }

 private:
  test::WsClient ws_;
};

/// Connects one client per name and joins them in order; everyone already in reads the
/// "joined" notice and the new user list, so all queues are empty afterwards.
inline std::vector<std::unique_ptr<ChatClient>> room(std::uint16_t port,
                                                     const std::vector<std::string>& names) {
  std::vector<std::unique_ptr<ChatClient>> clients;
  for (const auto& name : names) {
    clients.push_back(std::make_unique<ChatClient>(port));
    clients.back()->join(name);
    for (std::size_t i = 0; i + 1 < clients.size(); ++i) {
      CHECK(str(clients[i]->expect("system"), "message") == name + " joined");
      CHECK(clients[i]->expect("users").at("users").as_array().size() == clients.size());
    }
  }
  return clients;
}

}  // namespace demo_test
