#pragma once
// main() of the Beast reference servers: listen, print the port, run --threads threads
// until SIGINT/SIGTERM (as Beast's examples do). Servers with options of their own (the TLS
// echo's certificate) parse them first and call serveBeast.

#include "beast_listener.hpp"
#include "server_args.hpp"

#include <boost/asio/signal_set.hpp>

#include <iostream>
#include <thread>
#include <vector>

namespace bench {

/// Serves with arguments already parsed; each Session is built from (socket, extra...).
/// Exceptions propagate (runBeastServer prints them).
template <class Session, class... Extra>
int serveBeast(const ServerArgs& args, Extra... extra) {
  boost::asio::io_context ioc{static_cast<int>(args.threads)};
  auto listener = std::make_shared<Listener<Session, Extra...>>(
      ioc,
      boost::asio::ip::tcp::endpoint{boost::asio::ip::make_address(args.address),
                                     static_cast<unsigned short>(args.port)},
      extra...);
  listener->run();
  printListening(args.address, listener->port());
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&ioc](auto, auto) { ioc.stop(); });
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < args.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  return 0;
}

template <class Session, class... Extra>
int runBeastServer(int argc, char** argv, const char* name, Extra... extra) try {
  return serveBeast<Session>(parseServerArgs(argc, argv, name), extra...);
} catch (const std::exception& e) {
  std::cerr << name << ": " << e.what() << '\n';
  return 1;
}

}  // namespace bench
