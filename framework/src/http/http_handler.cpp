#include "ratchet/http_handler.hpp"

namespace ratchet {

void HttpHandler::onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) {
  respond(conn, *request, function_(*request));
}

}  // namespace ratchet
