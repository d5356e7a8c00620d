#include "demo.hpp"

#include "bot.hpp"
#include "chat_room.hpp"

#include <ratchet/echo_server.hpp>
#include <ratchet/push_endpoint.hpp>
#include <ratchet/static_files.hpp>

#include <memory>
#include <vector>

namespace demo {

void mount(ratchet::App& app, const Options& options) {
  const std::vector<std::string> pageOrigins = {app.httpHost(), "localhost", "127.0.0.1", "[::1]"};
  app.route("/chat", std::make_shared<ChatRoom>(), pageOrigins);
  app.route("/bot", std::make_shared<Bot>(), pageOrigins);
  app.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
  if (!options.pushToken.empty())
    app.route("/push", std::make_shared<ratchet::PushEndpoint>(app, options.pushToken), {"*"});
  app.route("/*", std::make_shared<ratchet::StaticFiles>(options.webRoot), pageOrigins);
}

}  // namespace demo
