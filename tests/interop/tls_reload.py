#!/usr/bin/python3
"""SIGHUP reloads the demo's TLS certificate: started with certificate A (copies in a temp
directory), the files swapped for certificate B and SIGHUP sent, a new client gets B while a
client connected before still echoes over wss://; garbage files and SIGHUP keep B.

    /usr/bin/python3 tls_reload.py path/to/ratchet-demo CERTS_DIR

CERTS_DIR is the test PKI of tests/tls/make_certs.sh: A is server-rsa, B is server-ecdsa
(both for localhost). Each reload is awaited on the server's log line, never a sleep.
"""

import asyncio
import os
import shutil
import signal
import socket
import ssl
import sys
import tempfile

import websockets

from tls_support import TIMEOUT, CheckFailed, expect, start, stop


def der_of(pem_file):
    with open(pem_file) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def served(port, context):
    """The DER certificate a new TLS client gets from 127.0.0.1:port for "localhost"."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)


async def echo(ws, text):
    await asyncio.wait_for(ws.send(text), TIMEOUT)
    got = await asyncio.wait_for(ws.recv(), TIMEOUT)
    expect(got == text, f"echo of {text!r} came back as {got!r}")


async def run(binary, certs, work):
    context = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")

    def install(base):
        shutil.copyfile(os.path.join(certs, base + ".pem"), cert)
        shutil.copyfile(os.path.join(certs, base + ".key"), key)

    cert_a, cert_b = (der_of(os.path.join(certs, f"{b}.pem"))
                      for b in ("server-rsa", "server-ecdsa"))
    install("server-rsa")
    proc, lines = start([binary, "--address", "127.0.0.1", "--port", "0", "--threads", "2",
                         "--log-level", "info", "--tls-cert", cert, "--tls-key", key],
                        "server")
    try:
        port = int(lines.wait_for(r"listening on 127\.0\.0\.1:(\d+)", "its port")[1])
        expect(served(port, context) == cert_a, "the first client did not get certificate A")
        first = await asyncio.wait_for(
            websockets.connect(f"wss://localhost:{port}/echo", ssl=context, ping_interval=None),
            TIMEOUT)
        await echo(first, "on A")

        install("server-ecdsa")
        proc.send_signal(signal.SIGHUP)
        lines.wait_for(r"TLS certificates reloaded", "the reload after SIGHUP")
        expect(served(port, context) == cert_b, "after SIGHUP a new client did not get B")
        await echo(first, "still on A after the reload")
        print("PASS SIGHUP: a new client gets the new certificate; the old one echoes", flush=True)

        with open(cert, "w") as f:
            f.write("garbage\n")
        proc.send_signal(signal.SIGHUP)
        lines.wait_for(r"TLS reload failed", "the failed reload after SIGHUP")
        expect(served(port, context) == cert_b, "after a failed reload B is no longer served")
        await echo(first, "still on A after the failed reload")
        await asyncio.wait_for(first.close(), TIMEOUT)
        expect(proc.poll() is None, f"the server exited ({proc.returncode})")
        print("PASS SIGHUP with garbage files: B is kept", flush=True)
        return 0
    finally:
        status = stop(proc, "server")
        print(f"server stopped ({status})", flush=True)


def main(binary, certs):
    with tempfile.TemporaryDirectory(prefix="ratchet-tls-reload-") as work:
        try:
            return asyncio.run(run(binary, certs, work))
        except (CheckFailed, OSError, ssl.SSLError, asyncio.TimeoutError,
                websockets.exceptions.WebSocketException) as e:
            print(f"FAIL {type(e).__name__}: {e}", flush=True)
            return 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(f"usage: {sys.argv[0]} path/to/ratchet-demo CERTS_DIR", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
