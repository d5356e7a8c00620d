#!/usr/bin/python3
"""SIGINT/SIGTERM stop the demo server gracefully: connected WebSocket clients receive
close 1001 (Going Away) and the process exits with status 0.

    /usr/bin/python3 signal_stop.py path/to/ratchet-demo
"""

import asyncio
import re
import signal
import subprocess
import sys

import websockets

TIMEOUT = 10.0
LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+)")


def start(binary):
    proc = subprocess.Popen([binary, "--address", "127.0.0.1", "--port", "0", "--threads", "2",
                             "--log-level", "warn"], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # the first line is printed and flushed at start-up
    match = LISTENING.search(line)
    if not match:
        proc.kill()
        sys.exit(f"FAIL: unexpected first line {line!r}")
    return proc, int(match.group(1))


async def stop_with(binary, signum):
    proc, port = start(binary)
    try:
        clients = [await asyncio.wait_for(websockets.connect(f"ws://127.0.0.1:{port}/{route}",
                                                             ping_interval=None), TIMEOUT)
                   for route in ("echo", "chat")]
        await clients[0].send("still here?")
        assert await asyncio.wait_for(clients[0].recv(), TIMEOUT) == "still here?"
        proc.send_signal(signum)
        for ws in clients:
            await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
            assert ws.close_code == 1001, f"close code {ws.close_code}, expected 1001"
        status = await asyncio.to_thread(proc.wait, TIMEOUT)
        assert status == 0, f"exit status {status}, expected 0"
        print(f"ok: {signal.Signals(signum).name}: clients saw 1001, exit status 0")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def main(binary):
    for signum in (signal.SIGINT, signal.SIGTERM):
        await stop_with(binary, signum)


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1]))
    except (AssertionError, asyncio.TimeoutError) as e:
        sys.exit(f"FAIL: {type(e).__name__}: {e}")
