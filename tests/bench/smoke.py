#!/usr/bin/python3
"""CI smoke test of ratchet-bench: starts a server on 127.0.0.1 port 0, runs one scenario
for a few seconds with few connections, and passes only when the client counted no failure
and did some work (no speed is asserted).

    smoke.py SCENARIO RATCHET_BENCH SERVER [SERVER ARGS...]

SCENARIO is echo, broadcast, handshake, idle or raw-tcp. Every wait is bounded and the
server is killed at the end.
"""

import json
import re
import subprocess
import sys
import time

LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+)")
SCENARIOS = {  # scenario: (ratchet-bench arguments, path, JSON field that must be > 0)
    "echo": (["echo", "--connections", "8", "--depth", "4"], "/echo", "messages"),
    "broadcast": (["broadcast", "--connections", "8", "--depth", "8"], "/broadcast", "messages"),
    "handshake": (["handshake", "--connections", "4"], "/echo", "handshakes"),
    "idle": (["idle", "--connections", "200", "--hold", "3"], "/echo", "messages"),
    "raw-tcp": (["echo", "--raw", "--connections", "8", "--depth", "4"], None, "messages"),
}


def main():
    scenario, client, server = sys.argv[1], sys.argv[2], sys.argv[3:]
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
        url = f"tcp://127.0.0.1:{port}" if path is None else f"ws://127.0.0.1:{port}{path}"
        cmd = [client, *args, "--url", url, "--duration", "4", "--warmup", "0.5",
               "--server-pid", str(proc.pid), "--json", "-", "--quiet"]
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
