#!/usr/bin/python3
"""Interop test: permessage-deflate (RFC 7692) between the Python `websockets` client
(Debian's python3-websockets, 10.x, which offers the extension by default) and the ratchet
demo server.

    /usr/bin/python3 python_deflate.py path/to/ratchet-demo [--tls CERTS_DIR]

Runs the demo twice on 127.0.0.1 with port 0:
  * as it starts by default (compression on): the client's default offer is accepted, text
    and binary messages of 0 B to 4 MiB echo intact, the server compresses what is 64 B or
    more and sends smaller messages plain (seen in the RSV1 bit of the frames the client
    reads), a fragmented compressed message arrives whole; an offer of
    client_no_context_takeover and server_max_window_bits=10 is answered with exactly those
    parameters (and server_no_context_takeover), and one of server_max_window_bits=8, which
    zlib cannot compress with, is declined;
  * with --no-compression: no extension is negotiated although the client offers it, and
    the same echoes work uncompressed.
--tls runs both over wss://localhost:PORT like python_client.py --tls does.
Every wait is bounded, so a hung server fails the test instead of hanging it.
"""

import asyncio
import os

# The server control and the bounded waits are python_client.py's (same directory).
from python_client import (CheckFailed, bounded, describe, expect, run_cli, run_server,
                           tls_setup, TIMEOUT, websockets)
from websockets.extensions.permessage_deflate import (ClientPerMessageDeflateFactory,
                                                       PerMessageDeflate)
from websockets.frames import OP_BINARY, OP_TEXT

SSL_CONTEXT = None  # set by --tls: the client side of wss://
MIN_COMPRESSED = 64  # the demo's Compression::minSize: smaller messages go uncompressed
SIZES = [0, 1, 63, 64, 65, 1000, 64 * 1024, 1024 * 1024, 4 * 1024 * 1024]
MAX_SIZE = 16 * 1024 * 1024  # above the largest echo (4 MiB); the server's limit is 16 MiB


def compressible_text(size):
    """ASCII (so `size` chars are `size` bytes) that deflate shrinks a lot."""
    line = "the quick brown fox jumps over the lazy dog 0123456789\n"
    return (line * (size // len(line) + 1))[:size]


def multibyte_text(chars):
    """Text of 2- and 3-byte UTF-8 sequences whose boundaries fall everywhere, including
    across the server's 64 KiB inflate steps."""
    return ("x\u20acy\u00e9z" * (chars // 5 + 1))[:chars]


def compressible_binary(size):
    return bytes((i * 7 // 64) & 0xFF for i in range(size))


class FrameLog:
    """Records the RSV1 bit of the first frame of every data message through the
    connection's permessage-deflate extension: the websockets client decodes (and encodes)
    every frame through it, so its view is what was on the wire."""

    def __init__(self, ext):
        self.received = []  # rsv1 of each message the server sent
        self.sent = []  # rsv1 of each message the client sent
        decode, encode = ext.decode, ext.encode

        def logged_decode(frame, *, max_size=None):
            if frame.opcode in (OP_TEXT, OP_BINARY):
                self.received.append(frame.rsv1)
            return decode(frame, max_size=max_size)

        def logged_encode(frame):
            out = encode(frame)
            if out.opcode in (OP_TEXT, OP_BINARY):
                self.sent.append(out.rsv1)
            return out

        ext.decode, ext.encode = logged_decode, logged_encode


async def connect(url, **kwargs):
    return await bounded(
        websockets.connect(url, max_size=MAX_SIZE, ping_interval=None, open_timeout=TIMEOUT,
                           close_timeout=TIMEOUT,
                           ssl=SSL_CONTEXT if url.startswith("wss:") else None, **kwargs),
        f"connect to {url}")


async def close_quietly(ws):
    try:
        await asyncio.wait_for(ws.close(), TIMEOUT)
    except Exception:  # Cleanup only; the checks report the real failures.
        pass


def deflate_of(ws):
    """The connection's PerMessageDeflate, or None; fails on anything else negotiated."""
    exts = list(ws.extensions)
    expect(all(isinstance(e, PerMessageDeflate) for e in exts),
           f"unexpected extensions negotiated: {exts!r}")
    expect(len(exts) <= 1, f"permessage-deflate negotiated {len(exts)} times: {exts!r}")
    return exts[0] if exts else None


def response_extensions(ws):
    return ws.response_headers.get_all("Sec-WebSocket-Extensions")


async def echo(ws, payload, what=None):
    what = what or describe(payload)
    await bounded(ws.send(payload), f"send {what}")
    got = await bounded(ws.recv(), f"receive the echo of {what}")
    expect(type(got) is type(payload), f"echo of {what} came back as {describe(got)}")
    if got != payload:
        at = next((i for i, (a, b) in enumerate(zip(got, payload)) if a != b),
                  min(len(got), len(payload)))
        raise CheckFailed(f"echo of {what} differs from index {at} (got {describe(got)})")


def payloads():
    for size in SIZES:
        yield f"text({size} B, compressible)", compressible_text(size), True
    yield "text(1 Mi chars of 1-3 byte UTF-8)", multibyte_text(1024 * 1024), True
    for size in SIZES:
        yield f"binary({size} B, random)", os.urandom(size), None
    for size in (1000, 1024 * 1024):
        yield f"binary({size} B, compressible)", compressible_binary(size), True


# --- the checks against the demo with compression (the default) ----------------------------

async def check_default_offer(base):
    ws = await connect(base + "/echo")  # websockets offers permessage-deflate by default
    try:
        ext = deflate_of(ws)
        header = response_extensions(ws)
        expect(ext is not None, f"permessage-deflate not negotiated; the server answered "
                                f"Sec-WebSocket-Extensions {header!r}")
        print(f"  negotiated {header!r}: {ext!r}", flush=True)
        expect(ext.remote_no_context_takeover,
               f"the server keeps its context ({ext!r}); the demo should not")
        log = FrameLog(ext)
        compressed = 0
        for what, payload, must_compress in payloads():
            await echo(ws, payload, what)
            expect(len(log.received) == len(log.sent),
                   f"{what}: {len(log.sent)} messages sent, {len(log.received)} received")
            expect(log.sent[-1], f"{what}: the client sent it uncompressed (a client change?)")
            size = len(payload.encode()) if isinstance(payload, str) else len(payload)
            if size < MIN_COMPRESSED:
                expect(not log.received[-1],
                       f"{what}: the server compressed a message under {MIN_COMPRESSED} B")
            elif must_compress:
                expect(log.received[-1], f"{what}: the server sent it uncompressed")
            compressed += log.received[-1]
        print(f"  {len(log.received)} echoes intact, {compressed} of them compressed by the "
              f"server; the client compressed all it sent", flush=True)
    finally:
        await close_quietly(ws)


async def check_fragmented(base):
    ws = await connect(base + "/echo")
    try:
        expect(deflate_of(ws) is not None, "permessage-deflate not negotiated")
        log = FrameLog(deflate_of(ws))
        # One compressed message in several frames: RSV1 on the first only (RFC 7692 6.1),
        # continued from one frame to the next by the client's deflate stream.
        fragments = [multibyte_text(100_000), "", compressible_text(200_000), "end \u20ac"]
        await bounded(ws.send(fragments), "send a fragmented compressed text message")
        expect(log.sent == [True], f"the client's first frames had RSV1 {log.sent!r}")
        got = await bounded(ws.recv(), "receive the echo of the fragmented message")
        whole = "".join(fragments)
        expect(got == whole, f"fragmented message echoed as {describe(got)}, expected one "
                             f"whole {describe(whole)}")
        # And after it, context taken over by the client, a small and a large message.
        await echo(ws, "after", "text 'after'")
        await echo(ws, compressible_text(5000), "text(5000 B) after")
    finally:
        await close_quietly(ws)


async def check_parameters(base):
    factory = ClientPerMessageDeflateFactory(client_no_context_takeover=True,
                                             server_max_window_bits=10)
    ws = await connect(base + "/echo", extensions=[factory])
    try:
        ext = deflate_of(ws)
        header = response_extensions(ws)
        expect(ext is not None, f"the offer with client_no_context_takeover; "
                                f"server_max_window_bits=10 was declined ({header!r})")
        print(f"  negotiated {header!r}: {ext!r}", flush=True)
        expect(len(header) == 1, f"Sec-WebSocket-Extensions sent {len(header)} times")
        params = sorted(p.strip() for p in header[0].split(";")[1:])
        expect(header[0].split(";")[0].strip() == "permessage-deflate",
               f"response names {header[0]!r}")
        expect(params == ["client_no_context_takeover", "server_max_window_bits=10",
                          "server_no_context_takeover"],
               f"response parameters {params!r}, expected client_no_context_takeover, "
               f"server_max_window_bits=10, server_no_context_takeover")
        expect(ext.local_no_context_takeover, f"client keeps its context: {ext!r}")
        expect(ext.remote_max_window_bits == 10, f"server window: {ext!r}")
        expect(ext.remote_no_context_takeover, f"server keeps its context: {ext!r}")
        expect(ext.local_max_window_bits == 15, f"client window: {ext!r}")
        for what, payload, _ in payloads():
            await echo(ws, payload, what)
    finally:
        await close_quietly(ws)


async def check_window_8_declined(base):
    # zlib cannot compress with a 256-byte window, so the server declines this offer (and
    # the connection opens without compression) rather than use a larger window.
    factory = ClientPerMessageDeflateFactory(server_max_window_bits=8)
    ws = await connect(base + "/echo", extensions=[factory])
    try:
        expect(deflate_of(ws) is None,
               f"server_max_window_bits=8 was accepted: {response_extensions(ws)!r}")
        expect(response_extensions(ws) == [],
               f"a Sec-WebSocket-Extensions response: {response_extensions(ws)!r}")
        for payload in (compressible_text(1000), os.urandom(70_000)):
            await echo(ws, payload)
    finally:
        await close_quietly(ws)


# --- the checks against the demo with --no-compression -------------------------------------

async def check_not_negotiated(base):
    ws = await connect(base + "/echo")  # still offers permessage-deflate
    try:
        expect(deflate_of(ws) is None and response_extensions(ws) == [],
               f"an extension was negotiated with --no-compression: "
               f"{response_extensions(ws)!r}, {list(ws.extensions)!r}")
        for what, payload, _ in payloads():
            await echo(ws, payload, what)
    finally:
        await close_quietly(ws)


RUNS = [
    ([], [
        ("deflate: default offer negotiated, 0 B - 4 MiB echoed", check_default_offer),
        ("deflate: fragmented compressed message", check_fragmented),
        ("deflate: client_no_context_takeover, server_max_window_bits=10", check_parameters),
        ("deflate: server_max_window_bits=8 declined", check_window_8_declined),
    ]),
    (["--no-compression"], [
        ("--no-compression: nothing negotiated, 0 B - 4 MiB echoed", check_not_negotiated),
    ]),
]


async def main(binary, certs=None):
    global SSL_CONTEXT
    tls_args = []
    if certs is not None:
        SSL_CONTEXT, tls_args = tls_setup(certs)
    failures = []
    passed = 0
    for args, checks in RUNS:
        print(f"server: ratchet-demo {' '.join(args) or '(compression on)'}", flush=True)
        passed += await run_server(binary, tls_args + args, checks, failures, certs is not None)
    total = sum(len(checks) for _, checks in RUNS)
    print(f"python-websockets {websockets.__version__} permessage-deflate"
          f"{' over TLS' if certs else ''}: {passed} of {total} checks passed; "
          f"failed: {', '.join(failures) or 'none'}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    run_cli(main)
