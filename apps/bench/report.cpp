#include "report.hpp"

#include <cstdio>
#include <string_view>
#include <variant>
#include <vector>

namespace bench {
namespace {

using Value = std::variant<std::string, double, std::uint64_t>;
using Fields = std::vector<std::pair<std::string, Value>>;

// The one list of what a result reports; the table and the JSON are two views of it.
Fields fields(const Result& r) {
  Fields f;
  const auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e3; };
  f.emplace_back("scenario", r.scenario);
  f.emplace_back("label", r.label);
  f.emplace_back("url", r.url);
  f.emplace_back("connections", std::uint64_t{r.connections});
  f.emplace_back("size", std::uint64_t{r.size});
  f.emplace_back("depth", std::uint64_t{r.depth});
  f.emplace_back("threads", std::uint64_t{r.threads});
  f.emplace_back("binary", std::uint64_t{r.binary});
  f.emplace_back("deflate", std::uint64_t{r.deflate});
  f.emplace_back("payload", r.payload);
  f.emplace_back("seconds", r.seconds);
  f.emplace_back("messages", r.messages);
  f.emplace_back("messages_per_s",
                 r.seconds > 0 ? static_cast<double>(r.messages) / r.seconds : 0.);
  f.emplace_back("mib_per_s",
                 r.seconds > 0 ? static_cast<double>(r.bytes) / r.seconds / (1 << 20) : 0.);
  f.emplace_back("handshakes", r.handshakes);
  f.emplace_back("handshakes_per_s",
                 r.seconds > 0 ? static_cast<double>(r.handshakes) / r.seconds : 0.);
  f.emplace_back("latency_samples", r.latency.count());
  f.emplace_back("latency_p50_us", us(r.latency.percentile(0.50)));
  f.emplace_back("latency_p99_us", us(r.latency.percentile(0.99)));
  f.emplace_back("latency_max_us", us(r.latency.max()));
  if (r.serverCpuSeconds) {
    f.emplace_back("server_cpu_s", *r.serverCpuSeconds);
    if (r.messages)
      f.emplace_back("server_cpu_us_per_message",
                     *r.serverCpuSeconds * 1e6 / static_cast<double>(r.messages));
    if (r.handshakes)
      f.emplace_back("server_cpu_us_per_handshake",
                     *r.serverCpuSeconds * 1e6 / static_cast<double>(r.handshakes));
  }
  if (r.rssBefore) f.emplace_back("server_rss_before_bytes", *r.rssBefore);
  if (r.rssAfter) f.emplace_back("server_rss_after_bytes", *r.rssAfter);
  f.emplace_back("connected", r.connected);
  if (r.rssBefore && r.rssAfter && r.connected)
    f.emplace_back("server_rss_per_connection_bytes",
                   (static_cast<double>(*r.rssAfter) - static_cast<double>(*r.rssBefore)) /
                       static_cast<double>(r.connected));
  if (r.rssAfterMessage) f.emplace_back("server_rss_after_message_bytes", *r.rssAfterMessage);
  if (r.rssBefore && r.rssAfterMessage && r.connected)
    f.emplace_back("server_rss_per_connection_after_message_bytes",
                   (static_cast<double>(*r.rssAfterMessage) - static_cast<double>(*r.rssBefore)) /
                       static_cast<double>(r.connected));
  const auto perConnection = [&](const char* name, const std::optional<std::uint64_t>& before,
                                 const std::optional<std::uint64_t>& after) {
    if (before && after && r.connected)
      f.emplace_back(name, (static_cast<double>(*after) - static_cast<double>(*before)) /
                               static_cast<double>(r.connected));
  };
  if (r.heapBefore) f.emplace_back("server_heap_before_bytes", *r.heapBefore);
  if (r.heapIdle) f.emplace_back("server_heap_idle_bytes", *r.heapIdle);
  if (r.heapAfterMessage) f.emplace_back("server_heap_after_message_bytes", *r.heapAfterMessage);
  perConnection("server_heap_per_connection_bytes", r.heapBefore, r.heapIdle);
  perConnection("server_heap_per_connection_after_message_bytes", r.heapBefore, r.heapAfterMessage);
  f.emplace_back("failures", r.failureTotal());
  for (std::size_t k = 0; k < kFailureKinds; ++k)
    f.emplace_back("failures_" + std::string(failureName(static_cast<Failure>(k))), r.failures[k]);
  return f;
}

void appendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string text(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  char buf[64];
  if (const auto* d = std::get_if<double>(&v))
    std::snprintf(buf, sizeof buf, "%.3f", *d);
  else
    std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(std::get<2>(v)));
  return buf;
}

}  // namespace

std::uint64_t Result::failureTotal() const noexcept {
  std::uint64_t n = 0;
  for (auto f : failures) n += f;
  return n;
}

void printTable(const Result& r, std::FILE* out) {
  std::fprintf(out, "\n%-34s %s\n", "metric", "value");
  for (const auto& [name, value] : fields(r)) {
    // Failure kinds only when they happened, to keep the table short.
    if (name.starts_with("failures_") && std::get<std::uint64_t>(value) == 0) continue;
    std::fprintf(out, "%-34s %s\n", name.c_str(), text(value).c_str());
  }
  std::fflush(out);
}

void writeJson(const Result& r, const std::string& target) {
  std::string line = "{";
  bool first = true;
  for (const auto& [name, value] : fields(r)) {
    if (!first) line += ", ";
    first = false;
    appendJsonString(line, name);
    line += ": ";
    if (std::holds_alternative<std::string>(value))
      appendJsonString(line, std::get<std::string>(value));
    else
      line += text(value);
  }
  line += "}\n";
  if (target == "-") {
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
    return;
  }
  if (FILE* f = std::fopen(target.c_str(), "a")) {
    std::fputs(line.c_str(), f);
    std::fclose(f);
  } else {
    std::fprintf(stderr, "ratchet-bench: cannot write %s\n", target.c_str());
  }
}

}  // namespace bench
