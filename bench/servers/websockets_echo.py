#!/usr/bin/python3
"""Python `websockets` reference server (Debian's python3-websockets, asyncio API), written
as its documentation's examples are:

    /usr/bin/python3 websockets_echo.py [--port N] [--mode echo|broadcast]

echo: every message goes back to its sender; broadcast: to every other client
(websockets.broadcast). Prints "listening on 127.0.0.1:PORT" once bound (port 0: a free one).
"""

import argparse
import asyncio
import signal

import websockets

CLIENTS = set()


async def echo(ws, path=None):
    async for message in ws:
        await ws.send(message)


async def relay(ws, path=None):
    CLIENTS.add(ws)
    try:
        async for message in ws:
            websockets.broadcast(CLIENTS - {ws}, message)
    finally:
        CLIENTS.discard(ws)


async def main(port, mode):
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    handler = echo if mode == "echo" else relay
    # No compression, no keep-alive pings, no size limit: like the other servers compared.
    async with websockets.serve(handler, "127.0.0.1", port, compression=None,
                                ping_interval=None, max_size=None, backlog=4096) as server:
        bound = server.sockets[0].getsockname()[1]
        print(f"listening on 127.0.0.1:{bound}", flush=True)
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", choices=("echo", "broadcast"), default="echo")
    args = parser.parse_args()
    asyncio.run(main(args.port, args.mode))
