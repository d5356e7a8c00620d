#pragma once
// ChatRoom: the demo's chat component, speaking the JSON protocol of apps/demo/README.md.

#include <ratchet/component.hpp>

#include <boost/json/object.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

namespace demo {

/// A chat room with unique names, public and private messages and a user list.
///
/// Not thread-safe on purpose: the framework serialises its callbacks, so plain containers
/// do. Every public message is serialised once and sent as one ratchet::Message, so its
/// WebSocket frame is built once and shared by all recipients. Owned by the route it is
/// mounted on.
class ChatRoom : public ratchet::MessageComponentInterface {
 public:
  struct Limits {
    std::size_t maxNameChars = 32;
    std::size_t maxMessageChars = 1000;
  };

  ChatRoom() = default;
  explicit ChatRoom(Limits limits) : limits_(limits) {}

  void onOpen(ratchet::ConnectionPtr conn) override;
  void onMessage(ratchet::ConnectionPtr from, const ratchet::Message& message) override;
  void onClose(ratchet::ConnectionPtr conn) override;
  void onError(ratchet::ConnectionPtr conn, const ratchet::Error& error) override;

  /// The colour for a name without a valid one of its own, e.g. "#1e88e5".
  static std::string colorFor(std::string_view name);

 private:
  struct Member {
    std::string name;  // empty until joined
    std::string color;
  };

  void join(const ratchet::ConnectionPtr& conn, Member& member, const boost::json::object& in);
  void say(const ratchet::ConnectionPtr& conn, Member& member, const boost::json::object& in);
  void refuseRename(const ratchet::ConnectionPtr& conn, const Member& member);
  boost::json::object usersMessage() const;
  void toMembers(const boost::json::object& out, const ratchet::Connection* except = nullptr);

  Limits limits_;
  std::unordered_map<ratchet::ConnectionPtr, Member> connections_;
  std::map<std::string, ratchet::ConnectionPtr> byName_;  // key: name in lower case; sorted
};

}  // namespace demo
