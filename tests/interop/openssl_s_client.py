#!/usr/bin/python3
"""Interop test: `openssl s_client` joins the raw-TLS chat (examples/tls_chat, a bare
IoServer over TLS): a line typed in one client shows in the other, both ways.

    /usr/bin/python3 openssl_s_client.py path/to/example_tls_chat CERTS_DIR

CERTS_DIR is the test PKI of tests/tls/make_certs.sh: the server uses fullchain-rsa.pem and
server-rsa.key, and each client verifies the chain against ca.pem and the certificate
against 127.0.0.1 (-verify_return_error: a bad certificate ends the client).
"""

import os
import subprocess
import sys

from tls_support import CheckFailed, expect, start, stop


def client(port, certs, name):
    proc, lines = start(["openssl", "s_client", "-quiet", "-connect", f"127.0.0.1:{port}",
                         "-CAfile", os.path.join(certs, "ca.pem"), "-verify_return_error",
                         "-verify_ip", "127.0.0.1"], name, stdin=subprocess.PIPE)
    # s_client reports the verified leaf once the server's certificate came: by then the
    # server has accepted the connection, so the chat has opened it.
    lines.wait_for(r"depth=0 .*CN\s*=\s*localhost", f"{name}: the server's certificate")
    lines.wait_for(r"^verify return:1$", f"{name}: the leaf verified")
    return proc, lines


def say(proc, line):
    proc.stdin.write(line.encode() + b"\n")
    proc.stdin.flush()


def main(binary, certs):
    procs = []
    try:
        server, server_lines = start([binary, os.path.join(certs, "fullchain-rsa.pem"),
                                      os.path.join(certs, "server-rsa.key"), "0"], "server")
        procs.append((server, "server"))
        port = int(server_lines.wait_for(r"listening on 127\.0\.0\.1:(\d+)", "its port")[1])
        a, a_lines = client(port, certs, "client A")
        procs.append((a, "client A"))
        b, b_lines = client(port, certs, "client B")
        procs.append((b, "client B"))
        say(a, "hello from A over TLS")
        b_lines.wait_for(r"^hello from A over TLS$", "A's line at B")
        say(b, "and back from B")
        a_lines.wait_for(r"^and back from B$", "B's line at A")
        expect(server.poll() is None, f"the server exited ({server.returncode})")
        print("PASS openssl s_client: lines cross the raw-TLS chat both ways", flush=True)
        return 0
    except CheckFailed as e:
        print(f"FAIL {e}", flush=True)
        return 1
    finally:
        for proc, name in reversed(procs):
            if proc.stdin:
                proc.stdin.close()
            stop(proc, name)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(f"usage: {sys.argv[0]} path/to/example_tls_chat CERTS_DIR", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
