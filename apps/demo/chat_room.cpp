#include "chat_room.hpp"

#include "text.hpp"

#include <ratchet/log.hpp>

#include <boost/json.hpp>

#include <array>
#include <cstdint>
#include <optional>

namespace demo {

namespace json = boost::json;
using ratchet::ConnectionPtr;

namespace {

void sendJson(const ConnectionPtr& conn, const json::object& out) {
  conn->send(json::serialize(out));
}

void sendError(const ConnectionPtr& conn, std::string_view why) {
  sendJson(conn, {{"type", "error"}, {"message", why}});
}

json::object joinedMessage(const auto& member) {
  return {{"type", "joined"}, {"name", member.name}, {"color", member.color}};
}

json::object systemMessage(std::string_view text) {
  return {{"type", "system"}, {"message", text}};
}

// The string at `key`: empty when absent or null, nullopt when it holds another type.
std::optional<std::string_view> stringAt(const json::object& in, std::string_view key) {
  const json::value* v = in.if_contains(key);
  if (!v || v->is_null()) return std::string_view{};
  if (const json::string* s = v->if_string()) return std::string_view(*s);
  return std::nullopt;
}

bool isHex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool isColor(std::string_view c) noexcept {
  if ((c.size() != 4 && c.size() != 7) || c[0] != '#') return false;
  for (char h : c.substr(1))
    if (!isHex(h)) return false;
  return true;
}

}  // namespace

std::string ChatRoom::colorFor(std::string_view name) {
  // Readable on white, distinct from each other.
  static constexpr std::array<std::string_view, 12> palette = {
      "#1e88e5", "#d81b60", "#43a047", "#8e24aa", "#f4511e", "#00897b",
      "#3949ab", "#c0ca33", "#6d4c41", "#039be5", "#e53935", "#5e35b1"};
  std::uint32_t hash = 2166136261u;  // FNV-1a over the folded name: case never changes it
  for (char c : toLower(name)) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  return std::string(palette[hash % palette.size()]);
}

void ChatRoom::onOpen(ConnectionPtr conn) {
  connections_.try_emplace(std::move(conn));
}

void ChatRoom::onMessage(ConnectionPtr from, const ratchet::Message& message) {
  const auto it = connections_.find(from);
  if (it == connections_.end()) return;
  if (message.isBinary()) return sendError(from, "the chat speaks JSON in text messages");
  // A bound before parsing: any valid message, every character escaped, fits in it.
  if (message.size() > 16 * (limits_.maxMessageChars + 2 * limits_.maxNameChars) + 1024)
    return sendError(from, "message too long");

  boost::system::error_code ec;
  const json::value value = json::parse(message.data(), ec);
  if (ec) return sendError(from, "invalid JSON: " + ec.message());
  const json::object* in = value.if_object();
  if (!in) return sendError(from, "expected a JSON object");
  const auto type = stringAt(*in, "type");
  if (!type) return sendError(from, "\"type\" must be a string");

  if (*type == "join") {
    join(from, it->second, *in);
  } else if (*type == "users") {
    sendJson(from, usersMessage());
  } else if (type->empty() || *type == "message") {
    say(from, it->second, *in);
  } else {
    sendError(from, "unknown type \"" + std::string(*type) + "\"");
  }
}

void ChatRoom::join(const ConnectionPtr& conn, Member& member, const json::object& in) {
  const auto rawName = stringAt(in, "name");
  const auto color = stringAt(in, "color");
  if (!rawName || !color) return sendError(conn, "\"name\" and \"color\" must be strings");
  const std::string_view name = trim(*rawName);
  const std::size_t length = utf8Length(name);
  if (length == 0) return sendError(conn, "a name is needed");
  if (length > limits_.maxNameChars)
    return sendError(conn,
                     "a name has at most " + std::to_string(limits_.maxNameChars) + " characters");
  if (hasControlCharacter(name)) return sendError(conn, "a name cannot hold control characters");

  const std::string key = toLower(name);
  if (!member.name.empty()) {
    if (key != toLower(member.name)) return refuseRename(conn, member);
    return sendJson(conn, joinedMessage(member));  // joining twice is harmless
  }
  if (byName_.contains(key))
    return sendError(conn, "the name \"" + std::string(name) + "\" is taken");
  member.name = name;
  member.color = isColor(*color) ? std::string(*color) : colorFor(name);
  byName_.emplace(key, conn);
  sendJson(conn, joinedMessage(member));
  toMembers(systemMessage(member.name + " joined"), conn.get());
  toMembers(usersMessage());
}

void ChatRoom::refuseRename(const ConnectionPtr& conn, const Member& member) {
  sendError(conn, "you are \"" + member.name + "\": a name cannot change");
}

void ChatRoom::say(const ConnectionPtr& conn, Member& member, const json::object& in) {
  const auto name = stringAt(in, "name");
  const auto text = stringAt(in, "message");
  const auto toName = stringAt(in, "toname");
  if (!name || !text || !toName) return sendError(conn, "fields must be strings");
  if (trim(*text).empty()) return sendError(conn, "an empty message");
  if (utf8Length(*text) > limits_.maxMessageChars)
    return sendError(
        conn, "a message has at most " + std::to_string(limits_.maxMessageChars) + " characters");
  if (member.name.empty()) {
    if (trim(*name).empty())
      return sendError(conn, "join first: send {\"type\":\"join\",\"name\":...}");
    join(conn, member, in);
    if (member.name.empty()) return;  // join refused, and said why
  } else if (!trim(*name).empty() && toLower(trim(*name)) != toLower(member.name)) {
    return refuseRename(conn, member);
  }

  json::object out{{"type", "usermsg"},
                   {"name", member.name},
                   {"message", *text},
                   {"color", member.color},
                   {"time", utcNow("%Y-%m-%dT%H:%M:%SZ")}};
  const std::string_view to = trim(*toName);
  if (to.empty()) return toMembers(out);

  const auto target = byName_.find(toLower(to));
  if (target == byName_.end())
    return sendError(conn, "nobody named \"" + std::string(to) + "\" is here");
  out["private"] = true;
  out["toname"] = connections_.at(target->second).name;
  const std::string frame = json::serialize(out);
  const auto message = ratchet::Message::text(frame);
  target->second->send(message);
  if (target->second != conn) conn->send(message);
}

json::object ChatRoom::usersMessage() const {
  json::array names;
  names.reserve(byName_.size());
  for (const auto& [key, conn] : byName_) names.emplace_back(connections_.at(conn).name);
  return {{"type", "users"}, {"users", std::move(names)}};
}

void ChatRoom::toMembers(const json::object& out, const ratchet::Connection* except) {
  const std::string text = json::serialize(out);
  const auto message = ratchet::Message::text(text);  // framed once, shared by every queue
  for (const auto& [key, conn] : byName_)
    if (conn.get() != except) conn->send(message);
}

void ChatRoom::onClose(ConnectionPtr conn) {
  const auto it = connections_.find(conn);
  if (it == connections_.end()) return;
  const std::string name = std::move(it->second.name);
  connections_.erase(it);
  if (name.empty()) return;
  byName_.erase(toLower(name));
  toMembers(systemMessage(name + " left"));
  toMembers(usersMessage());
}

void ChatRoom::onError(ConnectionPtr conn, const ratchet::Error& error) {
  ratchet::log::warn("chat: conn {}: {}", conn->id(), error.what());
  conn->close();
}

}  // namespace demo
