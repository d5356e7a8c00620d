// The chat component: every message goes to everyone else. It knows nothing of protocols,
// so raw_tcp_chat serves this same class over plain TCP.
#pragma once

#include <ratchet/ratchet.hpp>

#include <set>

struct Chat : ratchet::MessageComponentInterface {
  std::set<ratchet::ConnectionPtr> clients;  // no mutex needed
  void onOpen(ratchet::ConnectionPtr c) override { clients.insert(c); }
  void onMessage(ratchet::ConnectionPtr from, const ratchet::Message& m) override {
    for (auto& c : clients)
      if (c != from) c->send(m);
  }
  void onClose(ratchet::ConnectionPtr c) override { clients.erase(c); }
  void onError(ratchet::ConnectionPtr c, const ratchet::Error&) override { c->close(); }
};
