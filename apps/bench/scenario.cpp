#include "scenario.hpp"

#include "handshake.hpp"

#include <boost/asio/ip/address.hpp>

#include <memory>
#include <stdexcept>

namespace bench {

Target makeTarget(const Options& o, std::size_t rawMessageSize) {
  Target t;
  boost::system::error_code ec;
  const auto address =
      boost::asio::ip::make_address(o.host == "localhost" ? "127.0.0.1" : o.host, ec);
  if (ec || !address.is_v4()) throw std::runtime_error("--host must be an IPv4 address");
  t.endpoint = {address, o.port};
  t.raw = o.raw;
  t.rawMessageSize = rawMessageSize;
  t.deflate = o.deflate;
  if (!o.raw)
    t.upgradeRequest = makeUpgradeRequest(o.host, o.port, o.path,
                                          o.deflate.enabled ? deflateOfferValue(o.deflate) : "");
  t.sourceAddresses = o.sourceAddresses;
  if (o.tls) {
    t.tls = std::make_shared<const TlsContext>();
    // RFC 6066: SNI carries host names only, never address literals.
    boost::system::error_code notAnAddress;
    boost::asio::ip::make_address(o.host, notAnAddress);
    if (notAnAddress) t.serverName = o.host;
  }
  return t;
}

Result makeResult(const Options& o, std::string scenario) {
  Result r;
  r.scenario = std::move(scenario);
  r.label = o.label;
  r.url = (o.raw   ? "tcp://"
           : o.tls ? "wss://"
                   : "ws://") +
          o.host + ":" + std::to_string(o.port) + (o.raw ? "" : o.path);
  r.connections = o.connections;
  r.size = o.size;
  r.depth = o.depth;
  r.threads = o.threads;
  r.binary = o.binary;
  r.deflate = o.deflate.enabled;
  r.payload = o.payload == PayloadKind::json ? "json" : "filler";
  return r;
}

void addMeasurement(Result& r, const Runner& runner, const Measurement& m) {
  r.seconds = m.seconds;
  r.messages = m.delta.messages;
  r.bytes = m.delta.bytes;
  r.handshakes = m.delta.handshakes;
  r.serverCpuSeconds = m.serverCpuSeconds;
  r.latency = runner.latency();
  r.failures = runner.failures();
  r.connected = runner.totals().connected;
}

void openAll(Runner& runner) {
  const std::size_t threads = runner.workers.size();
  runner.onEachWorker([threads](Worker& w) {
    for (std::size_t i = 0; i < w.connections().size(); ++i)
      w.startPaced(*w.connections()[i], i * threads + w.index);
  });
  std::size_t total = 0;
  for (const auto& w : runner.workers) total += w->connectionCount();
  // Each connect and upgrade times out after 10 s; this is a backstop.
  if (!runner.waitUntil(
          [&] {
            const Totals t = runner.totals();
            return t.connected + t.finished >= total;
          },
          30 + static_cast<double>(total) / 1000))
    runner.countFailure(Failure::timeout, "connections did not open in time");
}

void closeAll(Runner& runner) {
  runner.onEachConnection([](Connection& c) { c.close(); });
  // Connections time out after 10 s in each closing step; this is a backstop.
  if (!runner.waitUntil(
          [&] {
            const Totals t = runner.totals();
            return t.finished == t.started;
          },
          25))
    runner.countFailure(Failure::timeout, "connections still open after closing");
}

}  // namespace bench
