#pragma once
// The demo server's routes, shared by ratchet-demo and its tests.

#include <ratchet/app.hpp>

#include <filesystem>
#include <string>

namespace demo {

struct Options {
  /// The pages (index.html, bot.html, ...), served for every path no other route takes.
  std::filesystem::path webRoot;
  /// The bearer token of POST /push; empty turns the endpoint off (404).
  std::string pushToken;
};

/// Mounts /chat (ChatRoom), /bot (Bot), /echo, /push and the pages on `app`. The WebSocket
/// routes of the pages accept browsers from app.httpHost(), localhost, 127.0.0.1 and [::1];
/// /echo and /push accept any origin. Throws std::invalid_argument when webRoot is not a
/// directory.
void mount(ratchet::App& app, const Options& options);

}  // namespace demo
