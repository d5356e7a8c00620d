#pragma once
// Socket set-up for many loopback connections.

#include <boost/asio/ip/tcp.hpp>

#include <cstddef>

namespace bench {

/// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft limit.
std::size_t raiseFdLimit();

/// Source address number `n` of `count`: 127.0.0.1 + (n % count), so that connections
/// spread over several addresses and each has its own ephemeral port range.
boost::asio::ip::address_v4 sourceAddress(std::size_t n, unsigned count);

/// Opens `socket` (IPv4), sets TCP_NODELAY and binds it to `source` with the port chosen at
/// connect time (IP_BIND_ADDRESS_NO_PORT), so ports are shared across destinations.
void openBound(boost::asio::ip::tcp::socket& socket, const boost::asio::ip::address_v4& source,
               boost::system::error_code& ec);

}  // namespace bench
