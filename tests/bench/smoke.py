#!/usr/bin/python3
"""CI smoke test of ratchet-bench: starts a server on 127.0.0.1 port 0, runs one scenario
for a few seconds with few connections, and passes only when the client counted no failure
and did some work (no speed is asserted).

    smoke.py SCENARIO RATCHET_BENCH SERVER [SERVER ARGS...]

SCENARIO is echo, broadcast, handshake, idle or raw-tcp, or tls-echo, tls-handshake or
tls-idle over wss://: for those a throw-away self-signed certificate is made with the
openssl CLI in a temporary directory, and "{cert}" and "{key}" in the server arguments
become its files (exit status 77, a CTest skip, without the openssl CLI). Every wait is
bounded and the server is killed at the end.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+)")
SCENARIOS = {  # scenario: (ratchet-bench arguments, path, JSON field that must be > 0)
    "echo": (["echo", "--connections", "8", "--depth", "4"], "/echo", "messages"),
    "broadcast": (["broadcast", "--connections", "8", "--depth", "8"], "/broadcast", "messages"),
    "handshake": (["handshake", "--connections", "4"], "/echo", "handshakes"),
    "idle": (["idle", "--connections", "200", "--hold", "3"], "/echo", "messages"),
    "raw-tcp": (["echo", "--raw", "--connections", "8", "--depth", "4"], None, "messages"),
    # wss: shorter, as TLS handshakes are slow under sanitizers.
    "tls-echo": (["echo", "--connections", "8", "--depth", "4", "--duration", "2"], "/echo", "messages"),
    "tls-handshake": (["handshake", "--connections", "4", "--duration", "2"], "/echo", "handshakes"),
    "tls-idle": (["idle", "--connections", "100", "--hold", "1"], "/echo", "messages"),
}
SKIP = 77  # CTest's SKIP_RETURN_CODE for the tls-* tests


def make_certificate(directory):
    """An ECDSA P-256 certificate for localhost and 127.0.0.1; returns (cert, key)."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=30)
    return cert, key


def main():
    scenario, client, server = sys.argv[1], sys.argv[2], sys.argv[3:]
    if not scenario.startswith("tls-"):
        return run_scenario(scenario, client, server, "ws")
    if shutil.which("openssl") is None:
        print("SKIP: no openssl CLI to make a certificate with", flush=True)
        return SKIP
    with tempfile.TemporaryDirectory(prefix="ratchet-bench-smoke-") as directory:
        cert, key = make_certificate(directory)
        server = [a.replace("{cert}", cert).replace("{key}", key) for a in server]
        return run_scenario(scenario, client, server, "wss")


def run_scenario(scenario, client, server, scheme):
    args, path, field = SCENARIOS[scenario]
    proc = subprocess.Popen(server + ["--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        port = None
        deadline = time.monotonic() + 10
        while port is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            m = LISTENING.search(line)
            port = m and m.group(1)
        if port is None:
            print("FAIL: the server did not print its port", flush=True)
            return 1
        # wss goes to "localhost", the certificate's name, so that SNI is sent too.
        url = (f"tcp://127.0.0.1:{port}" if path is None
               else f"wss://localhost:{port}{path}" if scheme == "wss"
               else f"ws://127.0.0.1:{port}{path}")
        cmd = [client, *args, "--url", url, "--warmup", "0.5",
               "--server-pid", str(proc.pid), "--json", "-", "--quiet"]
        if "--duration" not in args:
            cmd += ["--duration", "4"]
        print(" ".join(cmd), flush=True)
        run = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=60)
        result = json.loads(run.stdout.strip().splitlines()[-1])
        print(json.dumps(result, indent=1), flush=True)
        if run.returncode != 0 or result["failures"] != 0:
            print(f"FAIL: exit status {run.returncode}, {result['failures']} failures", flush=True)
            return 1
        if result[field] <= 0:
            print(f"FAIL: no {field}", flush=True)
            return 1
        if proc.poll() is not None:
            print(f"FAIL: the server exited with {proc.returncode}", flush=True)
            return 1
        print(f"ok: {result[field]} {field}, no failures", flush=True)
        return 0
    finally:
        proc.kill()
        proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
