#pragma once
// The hand-over between HttpServer and the plain HTTP components above it
// (framework-internal).

#include "io/transport.hpp"

namespace ratchet::detail {

/// Tells the HttpServer under `t` that the current request has been answered: it reads
/// the client's next request, or closes the connection once written when no HttpServer
/// reads requests on `t`. Thread-safe.
void endHttpExchange(Transport& t);

}  // namespace ratchet::detail
