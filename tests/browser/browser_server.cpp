// ratchet-browser-server: the server of the browser test (tests/browser/run_chromium.mjs).
//
//     ratchet-browser-server [--port N] [--log-level LEVEL] [--host NAME]
//                            [--tls-cert FILE --tls-key FILE] [--compression]
//
// One App on 127.0.0.1 serves the test page on "/" (plain HTTP, HttpHandler) and an
// EchoServer on "/echo" with the default Origin check. The page is loaded from this server,
// so the browser's Origin is http://127.0.0.1:PORT, which the check must let through (the
// App's httpHost is "127.0.0.1", or --host). With --tls-cert (PEM chain) and --tls-key the
// port serves https:// and wss:// instead, and the page opens wss:// (e.g. --host localhost
// for https://localhost:PORT/). With --compression /echo offers permessage-deflate (RFC 7692,
// the default ratchet::Compression); the page loaded as /?deflate then expects it in
// ws.extensions and echoes messages of 0 B to 4 MiB, while without ?deflate it expects no
// extension. The first stdout line is
// "ratchet-browser-server listening on 127.0.0.1:PORT"; SIGINT/SIGTERM stop it (exit 0).

#include <ratchet/ratchet.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

namespace {

// The test page: no external resources (the machine has no internet, and the test must not
// depend on any). It runs the checks once on load and publishes the outcome as
// window.__result = {ok, details, sent} and in the DOM (#status, #details); `sent` lists the
// data messages sent, in order, as {bytes, compressible}.
constexpr std::string_view kPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ratchet browser echo test</title>
<link rel="icon" href="data:,">
<style>
  body { font: 15px/1.4 "DejaVu Sans", sans-serif; margin: 1.5em; color: #222; }
  h1 { font-size: 20px; }
  #status { font-size: 18px; font-weight: bold; padding: .4em .6em; display: inline-block; }
  #status.running { background: #eee; }
  #status.pass { background: #c8f0c8; color: #064; }
  #status.fail { background: #f8c8c8; color: #800; }
  #details { font-family: "DejaVu Sans Mono", monospace; font-size: 13px; }
  #details li.fail { color: #a00; font-weight: bold; }
</style>
</head>
<body>
<h1>ratchet: WebSocket echo from a browser page</h1>
<p>Endpoint: <code id="url"></code> &middot; <span id="agent"></span></p>
<p id="status" class="running">running&hellip;</p>
<ol id="details"></ol>
<script>
"use strict";
(() => {
  const STEP_TIMEOUT_MS = 10000;
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/echo";
  // /?deflate: the server was started with --compression.
  const deflate = new URLSearchParams(location.search).has("deflate");
  document.getElementById("url").textContent = url;
  document.getElementById("agent").textContent = navigator.userAgent;

  const details = [];
  let failed = false;
  function note(ok, text) {
    if (!ok) failed = true;
    details.push((ok ? "ok   " : "FAIL ") + text);
    const li = document.createElement("li");
    li.className = ok ? "ok" : "fail";
    li.textContent = (ok ? "ok: " : "FAIL: ") + text;
    document.getElementById("details").appendChild(li);
  }
  let finished = false;
  function finish() {
    if (finished) return;
    finished = true;
    const ok = !failed && details.length > 0;
    const status = document.getElementById("status");
    status.className = ok ? "pass" : "fail";
    status.textContent = ok ? "PASS: all " + details.length + " checks passed"
                            : "FAIL: " + details.filter((d) => d.startsWith("FAIL")).length +
                              " of " + details.length + " checks failed";
    window.__result = {ok, details, sent};
  }

  // Every data message goes through send(), which lists it for the runner (--deflate reads
  // Chromium's net-log frame headers against it).
  const sent = [];
  function send(ws, data, compressible) {
    sent.push({bytes: typeof data === "string" ? new TextEncoder().encode(data).length
                                               : data.byteLength,
               compressible});
    ws.send(data);
  }

  // Events become awaitable: messages queue up, the close event is remembered.
  const queue = [];
  let waiter = null;
  let closeEvent = null;
  let closeWaiter = null;
  function deliver(item) {
    if (waiter) { const w = waiter; waiter = null; w(item); } else queue.push(item);
  }
  function withTimeout(promise, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("timed out after " + STEP_TIMEOUT_MS / 1000 +
                                                "s waiting for " + what)), STEP_TIMEOUT_MS);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
  function nextMessage(what) {
    if (queue.length) return Promise.resolve(queue.shift());
    if (closeEvent) return Promise.resolve({closed: closeEvent});
    return withTimeout(new Promise((resolve) => { waiter = resolve; }), what);
  }
  function closed() {
    if (closeEvent) return Promise.resolve(closeEvent);
    return withTimeout(new Promise((resolve) => { closeWaiter = resolve; }), "the close event");
  }

  function describe(item) {
    if (item.closed) return "connection closed (code " + item.closed.code + ")";
    const d = item.data;
    if (typeof d === "string") return "text of " + d.length + " chars";
    if (d instanceof ArrayBuffer) return "binary of " + d.byteLength + " bytes";
    return "unexpected " + Object.prototype.toString.call(d);
  }
  function pattern(n) {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; ++i) b[i] = (i * 31 + 7) & 0xff;
    return b;
  }
  function random(n) {  // incompressible; getRandomValues fills at most 64 KiB at a time
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, i + 65536));
    return b;
  }
  function compressibleText(n) {  // ASCII: n chars are n bytes
    const line = "the quick brown fox jumps over the lazy dog 0123456789\n";
    return line.repeat(Math.ceil(n / line.length) + 1).slice(0, n);
  }
  function multibyteText(n) {  // 1- to 3-byte UTF-8 sequences, boundaries everywhere
    return "x\u20acy\u00e9z".repeat(Math.ceil(n / 5) + 1).slice(0, n);
  }
  // "" when `got` is `expected` exactly (type and content), else what differs.
  function textDiff(got, expected) {
    if (got.closed || typeof got.data !== "string") return "expected text";
    const d = got.data;
    if (d === expected) return "";
    let i = 0;
    while (i < d.length && i < expected.length && d[i] === expected[i]) ++i;
    return "differs from char " + i + " (" + expected.length + " chars sent)";
  }
  function binaryDiff(got, expected) {
    if (got.closed || !(got.data instanceof ArrayBuffer)) return "expected an ArrayBuffer";
    const d = new Uint8Array(got.data);
    let i = 0;
    while (i < d.length && i < expected.length && d[i] === expected[i]) ++i;
    if (i === d.length && i === expected.length) return "";
    return "differs from byte " + i + " (" + expected.length + " bytes sent)";
  }
  function check(what, got, diff) {
    note(diff === "", what + " echoed as " + describe(got) + (diff ? ": " + diff : ""));
  }

  async function run() {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    ws.onmessage = (e) => deliver({data: e.data});
    ws.onclose = (e) => {
      closeEvent = {code: e.code, reason: e.reason, wasClean: e.wasClean};
      if (closeWaiter) closeWaiter(closeEvent);
      if (waiter) { const w = waiter; waiter = null; w({closed: closeEvent}); }
    };
    await withTimeout(new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error("WebSocket error before open (refused? 403?)"));
    }), "the connection to open");
    ws.onerror = () => note(false, "WebSocket error event");
    note(true, "connected to " + url);
    // Chromium always offers permessage-deflate; only a server with compression accepts.
    if (deflate)
      note(/^permessage-deflate(;|$)/.test(ws.extensions),
           "permessage-deflate negotiated: ws.extensions \"" + ws.extensions + "\"");
    else
      note(ws.extensions === "", "no extension negotiated: ws.extensions \"" + ws.extensions + "\"");

    if (deflate) {
      // Around the server's 64-byte threshold for compressing, and up to 4 MiB.
      const sizes = [0, 1, 63, 64, 65, 1000, 65536, 1 << 20, 4 << 20];
      const texts = sizes.map((n) => ["text of " + n + " bytes", compressibleText(n)]);
      texts.push(["text of 1 Mi chars of 1-3 byte UTF-8", multibyteText(1 << 20)]);
      for (const [name, text] of texts) {
        send(ws, text, true);
        const got = await nextMessage("the echo of " + name);
        check(name, got, textDiff(got, text));
      }
      const binaries = sizes.map((n) => ["random ArrayBuffer of " + n + " bytes", random(n)]);
      binaries.push(["patterned ArrayBuffer of 1 MiB", pattern(1 << 20)]);
      for (const [name, bytes] of binaries) {
        send(ws, bytes.buffer, !name.startsWith("random"));
        const got = await nextMessage("the echo of the " + name);
        check(name, got, binaryDiff(got, bytes));
      }
    }

    const long = Array.from({length: 70000}, (_, i) => String.fromCharCode(97 + i % 26)).join("");
    const texts = [
      ["\"hello\"", "hello"],
      ["3-byte UTF-8 \"\u20ac\u2603\u2713\"", "\u20ac\u2603\u2713 euro, snowman, check mark"],
      ["70 000 characters", long],
    ];
    for (const [name, text] of texts) {
      send(ws, text, true);
      const got = await nextMessage("the echo of text " + name);
      check("text " + name, got, textDiff(got, text));
    }
    for (const size of [0, 1, 125, 126, 65536]) {
      const bytes = pattern(size);
      send(ws, bytes.buffer, size > 1024);  // the pattern repeats every 256 bytes
      const got = await nextMessage("the echo of " + size + " binary bytes");
      check("binary " + size + (size === 1 ? " byte" : " bytes"), got, binaryDiff(got, bytes));
    }

    ws.close(4000, "bye");
    const c = await closed();
    note(c.code === 4000 && c.wasClean,
         "close(4000, \"bye\"): close event code " + c.code + ", wasClean " + c.wasClean);
  }

  run().catch((e) => note(false, String(e && e.message || e))).finally(finish);
})();
</script>
</body>
</html>
)html";

[[noreturn]] void usage(int status) {
  std::fprintf(status ? stderr : stdout,
               "usage: ratchet-browser-server [--port N] "
               "[--log-level trace|debug|info|warn|error|off] [--host NAME]\n"
               "                              [--tls-cert FILE --tls-key FILE] [--compression]\n");
  std::exit(status);
}

}  // namespace

int main(int argc, char** argv) try {
  unsigned long port = 0;
  std::string host = "127.0.0.1", tlsCert, tlsKey;
  bool compression = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view opt = argv[i];
    if (opt == "-h" || opt == "--help") usage(0);
    if (opt == "--compression") {
      compression = true;
      continue;
    }
    if (i + 1 >= argc) usage(2);
    const std::string value = argv[++i];
    if (opt == "--port")
      port = std::stoul(value);
    else if (opt == "--log-level")
      ratchet::log::setLevel(ratchet::log::parseLevel(value));
    else if (opt == "--host")
      host = value;
    else if (opt == "--tls-cert")
      tlsCert = value;
    else if (opt == "--tls-key")
      tlsKey = value;
    else
      usage(2);
  }
  if (port > 65535 || tlsCert.empty() != tlsKey.empty()) usage(2);

  ratchet::AppOptions options;
  options.io.threads = 2;
  options.io.handleSignals = true;
  if (compression) options.ws.compression = ratchet::Compression{};
  if (!tlsCert.empty())
    options.tls = ratchet::TlsOptions{.certificateChainFile = tlsCert, .privateKeyFile = tlsKey};
  ratchet::App app(host, static_cast<std::uint16_t>(port), "127.0.0.1", options);
  app.route(
      "/", std::make_shared<ratchet::HttpHandler>([](const ratchet::Request&) {
        return ratchet::HttpResponse::html(std::string(kPage)).header("Cache-Control", "no-store");
      }));
  app.route("/echo", std::make_shared<ratchet::EchoServer>());  // Origin: `host` only
  std::cout << "ratchet-browser-server listening on 127.0.0.1:" << app.port() << std::endl;
  app.run();
  return 0;
} catch (const std::exception& e) {
  std::cerr << "ratchet-browser-server: " << e.what() << '\n';
  return 1;
}
