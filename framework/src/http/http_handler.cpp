#include "ratchet/http_handler.hpp"

#include "ratchet/log.hpp"

namespace ratchet {

void HttpHandler::onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) {
  respond(conn, *request, function_(*request));
}

void HttpHandler::onError(ConnectionPtr conn, const Error& error) {
  log::warn("conn {}: HTTP handler failed: {}", conn->id(), error.what());
  conn->send(HttpResponse::text("Internal server error\n", 500).serialize());
  conn->close();
}

}  // namespace ratchet
