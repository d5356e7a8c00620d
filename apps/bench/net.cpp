#include "net.hpp"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

namespace bench {

std::size_t raiseFdLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return static_cast<std::size_t>(limit.rlim_cur);
}

boost::asio::ip::address_v4 sourceAddress(std::size_t n, unsigned count) {
  const auto base = boost::asio::ip::make_address_v4("127.0.0.1").to_uint();
  return boost::asio::ip::address_v4(static_cast<std::uint32_t>(base + n % count));
}

void openBound(boost::asio::ip::tcp::socket& socket, const boost::asio::ip::address_v4& source,
               boost::system::error_code& ec) {
  socket.open(boost::asio::ip::tcp::v4(), ec);
  if (ec) return;
#ifdef IP_BIND_ADDRESS_NO_PORT
  const int one = 1;
  ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
  socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  if (ec) return;
  socket.bind({source, 0}, ec);
}

}  // namespace bench
