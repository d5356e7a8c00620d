#include "ratchet/push_endpoint.hpp"

#include "ratchet/http_response.hpp"
#include "ratchet/log.hpp"
#include "ratchet/ws_server.hpp"

#include "codec/text.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <stdexcept>

namespace ratchet {

namespace {

// Compares without an early exit, so the time taken says nothing about the token.
bool sameSecret(std::string_view a, std::string_view b) noexcept {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (b.empty() ? 0 : b[i % b.size()]));
  return diff == 0;
}

HttpResponse jsonError(int status, std::string_view why) {
  return HttpResponse::json(boost::json::serialize(boost::json::object{{"error", why}}) + "\n",
                            status);
}

}  // namespace

PushEndpoint::PushEndpoint(Routes routes, std::string token, std::size_t maxBodyBytes)
    : routes_(std::move(routes)), token_(std::move(token)), maxBodyBytes_(maxBodyBytes) {
  if (token_.empty()) throw std::invalid_argument("PushEndpoint: the token must not be empty");
}

void PushEndpoint::onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) {
  const auto& req = *request;
  auto answer = [&](const HttpResponse& r) { respond(conn, req, r); };
  if (req.method() != "POST")
    return answer(jsonError(405, "method not allowed").header("Allow", "POST"));

  const auto authorization = detail::trim(req.header("authorization"));
  const auto space = authorization.find(' ');
  const bool bearer =
      space != std::string_view::npos && detail::iequals(authorization.substr(0, space), "bearer");
  if (!bearer || !sameSecret(detail::trim(authorization.substr(space + 1)), token_)) {
    log::info("conn {}: push refused: {}", conn->id(), bearer ? "wrong token" : "no token");
    // RFC 6750 section 3: the challenge names the error only when a token was presented.
    auto refusal = jsonError(401, bearer ? "invalid token" : "token required");
    refusal.header("WWW-Authenticate", bearer ? R"(Bearer error="invalid_token")" : "Bearer");
    return answer(refusal);
  }
  if (req.body().size() > maxBodyBytes_)
    return answer(jsonError(413, fmt::format("body over {} bytes", maxBodyBytes_)));

  boost::system::error_code ec;
  const auto body = boost::json::parse(req.body(), ec);
  if (ec) return answer(jsonError(400, "invalid JSON: " + ec.message()));
  const auto* object = body.if_object();
  const auto* route = object ? object->if_contains("route") : nullptr;
  const auto* message = object ? object->if_contains("message") : nullptr;
  if (!route || !route->is_string() || !message)
    return answer(jsonError(400, R"(expected {"route": "/path", "message": ...})"));
  const std::string_view path = route->get_string();
  const auto ws = routes_(path);
  if (!ws) return answer(jsonError(404, fmt::format("no WebSocket route {}", path)));

  const std::string text =
      message->is_string() ? std::string(message->get_string()) : boost::json::serialize(*message);
  const auto delivered = ws->broadcast(Message::text(text));
  log::debug("conn {}: pushed {} bytes to {} clients of {}", conn->id(), text.size(), delivered,
             path);
  answer(HttpResponse::json(boost::json::serialize(boost::json::object{{"delivered", delivered}}) +
                            "\n"));
}

}  // namespace ratchet
