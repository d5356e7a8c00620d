#pragma once
// A scenario's result: a table on stdout and one JSON object (one line) per scenario.

#include "stats.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace bench {

struct Result {
  std::string scenario;  // echo, raw-echo, broadcast, handshake, idle
  std::string label;
  std::string url;
  std::size_t connections = 0, size = 0, depth = 0;
  unsigned threads = 1;
  bool binary = false;
  bool deflate = false;  // permessage-deflate offered and required
  std::string payload;   // filler, json
  double seconds = 0;    // measured window
  std::uint64_t messages = 0, bytes = 0, handshakes = 0;
  std::uint64_t connected = 0;  // connections that opened (idle: RSS is divided by this)
  Histogram latency;  // round trip (echo), fan-out (broadcast), whole handshake (handshake)
  std::array<std::uint64_t, kFailureKinds> failures{};
  std::optional<double> serverCpuSeconds;
  std::optional<std::uint64_t> rssBefore, rssAfter;
  std::optional<std::uint64_t> rssAfterMessage;  // idle --after-message-hold
  // idle --server-heap-file: before opening, at the end of the hold, after the message.
  std::optional<std::uint64_t> heapBefore, heapIdle, heapAfterMessage;

  std::uint64_t failureTotal() const noexcept;
};

/// The human-readable table, to `out` (stdout, or stderr when the JSON goes to stdout).
void printTable(const Result& r, std::FILE* out);
/// Appends `r` as one line of JSON to `target` ("-" for stdout).
void writeJson(const Result& r, const std::string& target);

}  // namespace bench
