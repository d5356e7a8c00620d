"""Support for the TLS interop scripts: a child process's output read line by line on a
thread of its own, so that every wait for a line is bounded (queue.get with a timeout)."""

import queue
import re
import subprocess
import threading
import time

TIMEOUT = 10.0  # seconds, for every single wait


class CheckFailed(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise CheckFailed(what)


class Lines:
    """Every line `stream` yields, in order, until EOF; `name` labels them in the log."""

    def __init__(self, stream, name):
        self.name = name
        self.seen = []
        self._queue = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream):
        for raw in iter(stream.readline, b""):
            self._queue.put(raw.decode(errors="replace").rstrip("\r\n"))
        self._queue.put(None)  # EOF

    def wait_for(self, pattern, what, timeout=TIMEOUT):
        """The match of the first new line matching `pattern`; CheckFailed after `timeout`
        seconds or at EOF."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CheckFailed(f"{self.name}: no line matching {pattern!r} ({what}) within "
                                  f"{timeout:g}s; last lines: {self.seen[-5:]!r}")
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self._queue.put(None)  # EOF stays EOF
                raise CheckFailed(f"{self.name}: ended before a line matching {pattern!r} "
                                  f"({what}); last lines: {self.seen[-5:]!r}")
            print(f"{self.name}: {line}", flush=True)
            self.seen.append(line)
            m = regex.search(line)
            if m:
                return m


def start(argv, name, stdin=subprocess.DEVNULL):
    """Starts argv with stdout and stderr merged into one Lines."""
    proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    return proc, Lines(proc.stdout, name)


def stop(proc, name):
    """SIGTERM, then SIGKILL after TIMEOUT; returns the exit status."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop within {TIMEOUT:g}s of SIGTERM; killing it", flush=True)
            proc.kill()
            proc.wait()
    return proc.returncode
