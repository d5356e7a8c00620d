#!/usr/bin/python3
"""Interop test: the Python `websockets` client (Debian's python3-websockets, 10.x, asyncio
API) against the ratchet demo server.

    /usr/bin/python3 python_client.py path/to/ratchet-demo [--tls CERTS_DIR]

Starts the server on 127.0.0.1 with port 0, waits for its "listening on" line, runs the
checks against /echo and /chat, stops the server and exits non-zero if any check failed.
With --tls (the test PKI of tests/tls/make_certs.sh) the server gets --tls-cert
fullchain-rsa.pem --tls-key server-rsa.key and the same checks run over
wss://localhost:PORT with an ssl context that trusts only CERTS_DIR/ca.pem and checks the
host name.
Every wait is bounded, so a hung server fails the test instead of hanging it.
"""

import asyncio
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import traceback

try:
    import websockets
except ImportError as e:  # A missing client is a failure, never a skip.
    print(f"FAIL: cannot import websockets ({e}); install Debian's python3-websockets",
          flush=True)
    sys.exit(1)

TIMEOUT = 10.0  # seconds, for every single wait
LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+)")
SSL_CONTEXT = None  # set by --tls: the client side of wss://


class CheckFailed(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise CheckFailed(what)


def describe(value):
    if isinstance(value, (bytes, bytearray)):
        return f"binary({len(value)} bytes)"
    if isinstance(value, str):
        return f"text({len(value)} chars: {value[:40]!r}{'...' if len(value) > 40 else ''})"
    return repr(value)


async def bounded(awaitable, what):
    try:
        return await asyncio.wait_for(awaitable, TIMEOUT)
    except asyncio.TimeoutError:
        raise CheckFailed(f"timed out after {TIMEOUT:g}s: {what}") from None


async def connect(url):
    # No Origin header (not a browser); max_size above the largest echo (1 MiB).
    return await bounded(
        websockets.connect(url, max_size=16 * 1024 * 1024, ping_interval=None,
                           open_timeout=TIMEOUT, close_timeout=TIMEOUT,
                           ssl=SSL_CONTEXT if url.startswith("wss:") else None),
        f"connect to {url}")


async def recv(ws, what):
    return await bounded(ws.recv(), f"receive {what}")


async def echo_round_trip(ws, payload):
    await bounded(ws.send(payload), f"send {describe(payload)}")
    got = await recv(ws, f"echo of {describe(payload)}")
    expect(type(got) is type(payload),
           f"echo of {describe(payload)} came back as {describe(got)} (wrong type)")
    expect(got == payload, f"echo of {describe(payload)} differs: got {describe(got)}")


async def close_quietly(ws):
    try:
        await asyncio.wait_for(ws.close(), TIMEOUT)
    except Exception:  # Cleanup only; the checks report the real failures.
        pass


# --- the checks ------------------------------------------------------------------------------

async def check_text(base):
    ws = await connect(base + "/echo")
    try:
        for text in ["hello", "\u20ac", "x\u20acy" * 10 + "a" * 69_970]:
            await echo_round_trip(ws, text)
        expect(len("x\u20acy" * 10 + "a" * 69_970) == 70_000, "test bug: length")
    finally:
        await close_quietly(ws)


async def check_binary(base):
    ws = await connect(base + "/echo")
    try:
        for size in [0, 1, 125, 126, 65536, 1024 * 1024]:
            await echo_round_trip(ws, os.urandom(size))
    finally:
        await close_quietly(ws)


async def check_fragmented(base):
    ws = await connect(base + "/echo")
    try:
        fragments = ["frag", "men", "ted \u20ac", ""]
        # An iterable makes websockets send one frame per item: text, continuation..., FIN.
        await bounded(ws.send(fragments), "send a fragmented text message")
        got = await recv(ws, "echo of the fragmented message")
        expect(got == "".join(fragments),
               f"fragmented message echoed as {describe(got)}, expected one whole "
               f"{describe(''.join(fragments))}")
    finally:
        await close_quietly(ws)


async def check_ping(base):
    ws = await connect(base + "/echo")
    try:
        pong = await bounded(ws.ping(b"x"), "send ping")
        await bounded(pong, "pong for ping b'x'")
        # The connection still works after the ping.
        await echo_round_trip(ws, "after ping")
    finally:
        await close_quietly(ws)


async def check_close(base):
    ws = await connect(base + "/echo")
    await bounded(ws.close(code=4000, reason="bye"), "close handshake (4000 'bye')")
    expect(ws.close_code == 4000,
           f"server answered close 4000 with code {ws.close_code} "
           f"reason {ws.close_reason!r} (1006: no close frame)")


async def recv_json(ws, what):
    got = await recv(ws, what)
    expect(isinstance(got, str), f"{what}: {describe(got)} is not a text message")
    return json.loads(got)


async def expect_type(ws, kind, what):
    got = await recv_json(ws, what)
    expect(got.get("type") == kind, f"{what}: {got!r}, expected type {kind!r}")
    return got


async def check_chat(base):
    a = await connect(base + "/chat")
    b = None
    try:
        await bounded(a.send(json.dumps({"type": "join", "name": "py-a"})), "A joins")
        await expect_type(a, "joined", "A's welcome")
        await expect_type(a, "users", "the user list at A")
        b = await connect(base + "/chat")
        await bounded(b.send(json.dumps({"type": "join", "name": "py-b"})), "B joins")
        await expect_type(b, "joined", "B's welcome")
        got = await expect_type(a, "system", "the join notice at A")
        expect(got["message"] == "py-b joined", f"A was told {got!r}")
        got = await expect_type(a, "users", "the new user list at A")
        expect(got["users"] == ["py-a", "py-b"], f"A's user list is {got!r}")
        await expect_type(b, "users", "the user list at B")

        await bounded(a.send(json.dumps({"message": "from A é"})), "A says something")
        for ws, who in ((b, "B"), (a, "A")):
            got = await expect_type(ws, "usermsg", f"A's message at {who}")
            expect(got["name"] == "py-a" and got["message"] == "from A é",
                   f"{who} received {got!r}")
        await bounded(b.send(b"\x00binary"), "B sends binary")
        await expect_type(b, "error", "the error for a binary message")
    finally:
        await close_quietly(a)
        if b is not None:
            await close_quietly(b)


CHECKS = [
    ("echo: text round trips", check_text),
    ("echo: binary round trips", check_binary),
    ("echo: fragmented message", check_fragmented),
    ("echo: ping -> pong", check_ping),
    ("echo: close 4000 'bye' echoed", check_close),
    ("chat: JSON join, notices and a message to everyone", check_chat),
]


# --- the server ------------------------------------------------------------------------------

async def start_server(binary, extra_args=()):
    proc = await asyncio.create_subprocess_exec(
        binary, "--address", "127.0.0.1", "--port", "0", "--threads", "2",
        "--log-level", "warn", *extra_args,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=None)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    seen = []
    while True:
        left = deadline - loop.time()
        if left <= 0:
            raise CheckFailed(f"server printed no 'listening on 127.0.0.1:PORT' line within "
                              f"{TIMEOUT:g}s; its stdout so far: {seen!r}")
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), left)
        except asyncio.TimeoutError:
            continue
        if not line:
            rc = await asyncio.wait_for(proc.wait(), TIMEOUT)
            raise CheckFailed(f"server exited with code {rc} before listening; "
                              f"its stdout: {seen!r}")
        text = line.decode(errors="replace").rstrip("\n")
        print(f"server: {text}", flush=True)
        seen.append(text)
        m = LISTENING.search(text)
        if m:
            return proc, int(m.group(1))


async def drain(stream):
    # Keeps reading the server's stdout so it can never block on a full pipe.
    while await stream.readline():
        pass


async def stop_server(proc):
    if proc.returncode is not None:
        print(f"server had already exited with code {proc.returncode}", flush=True)
        return
    proc.send_signal(signal.SIGTERM)
    try:
        rc = await asyncio.wait_for(proc.wait(), TIMEOUT)
        print(f"server stopped (exit code {rc})", flush=True)
    except asyncio.TimeoutError:
        print(f"server did not stop within {TIMEOUT:g}s of SIGTERM; killing it", flush=True)
        proc.kill()
        await proc.wait()


async def run_server(binary, args, checks, failures, tls=False):
    """Starts the demo with `args`, runs each (name, check(base_url)) and stops it; returns how
    many passed, appending the names of those that failed to `failures`."""
    proc = drainer = None
    passed = 0
    try:
        proc, port = await start_server(binary, args)
        drainer = asyncio.create_task(drain(proc.stdout))
        # Over TLS the name is localhost, which the certificate is checked against.
        base = f"wss://localhost:{port}" if tls else f"ws://127.0.0.1:{port}"
        for name, check in checks:
            try:
                await check(base)
                passed += 1
                print(f"PASS {name}", flush=True)
            except CheckFailed as e:
                failures.append(name)
                print(f"FAIL {name}: {e}", flush=True)
            except Exception as e:  # A client-side exception is a failure of the check.
                failures.append(name)
                print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
                traceback.print_exc()
            if proc.returncode is not None:
                failures.append("server alive")
                print(f"FAIL server exited with code {proc.returncode} during '{name}'",
                      flush=True)
                break
    except CheckFailed as e:
        failures.append("server start")
        print(f"FAIL server start: {e}", flush=True)
    except OSError as e:
        failures.append("server start")
        print(f"FAIL server start: cannot run {binary}: {e}", flush=True)
    finally:
        if proc is not None:
            await stop_server(proc)
        if drainer is not None:
            drainer.cancel()
    return passed



def tls_setup(certs):
    """The client's SSL context trusting the test CA in `certs`, and the demo's TLS flags."""
    context = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
    return context, ["--tls-cert", os.path.join(certs, "fullchain-rsa.pem"),
                     "--tls-key", os.path.join(certs, "server-rsa.key")]


def run_cli(main):
    """The command line of these scripts: path/to/ratchet-demo [--tls CERTS_DIR]."""
    if len(sys.argv) == 2:
        sys.exit(asyncio.run(main(sys.argv[1])))
    if len(sys.argv) == 4 and sys.argv[2] == "--tls":
        sys.exit(asyncio.run(main(sys.argv[1], sys.argv[3])))
    print(f"usage: {sys.argv[0]} path/to/ratchet-demo [--tls CERTS_DIR]", file=sys.stderr)
    sys.exit(2)


async def main(binary, certs=None):
    global SSL_CONTEXT
    failures = []
    extra_args = []
    if certs is not None:
        SSL_CONTEXT, extra_args = tls_setup(certs)
    passed = await run_server(binary, extra_args, CHECKS, failures, certs is not None)
    print(f"python-websockets {websockets.__version__}{' over TLS' if certs else ''}: "
          f"{passed} of {len(CHECKS)} checks "
          f"passed; failed: {', '.join(failures) or 'none'}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    run_cli(main)
