#!/usr/bin/python3
"""Turns bench/run.sh's JSON lines into a table, ratios and bench/RESULTS.md.

    summarize.py RESULTS.jsonl COMMANDS.txt OUT.md "how it was run"

Each cell is the median over its runs of every figure. Ratios compare ratchet (1 server
thread) with each peer, and the issue's targets are checked where they apply. The tls-*
cells (wss) get their own ratios: ratchet's TLS server against Beast's with the same
certificate, and the memory of an idle TLS connection against a plain one.
"""

import datetime
import json
import platform
import statistics
import subprocess
import sys
from collections import defaultdict

results_path, commands_path, out_path, how = sys.argv[1:5]
runs = defaultdict(list)
for line in open(results_path):
    if line.strip():
        r = json.loads(line)
        cell, server = r["label"].split(" ", 1)
        runs[(cell, server)].append(r)


def median(cell, server, field):
    values = [r[field] for r in runs.get((cell, server), []) if field in r]
    return statistics.median(values) if values else None


def fmt(v, digits=0):
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"


COLUMNS = [  # header, field, digits
    ("msgs/s", "messages_per_s", 0), ("handshakes/s", "handshakes_per_s", 0),
    ("p50 µs", "latency_p50_us", 0), ("p99 µs", "latency_p99_us", 0),
    ("server µs CPU/msg", "server_cpu_us_per_message", 2),
    ("server µs CPU/handshake", "server_cpu_us_per_handshake", 1),
    ("RSS/conn B", "server_rss_per_connection_bytes", 0), ("failures", "failures", 0),
]
lines = ["| cell | server | " + " | ".join(c[0] for c in COLUMNS) + " |",
         "|" + " --- |" * (len(COLUMNS) + 2)]
for (cell, server) in runs:
    lines.append(f"| {cell} | {server} | " +
                 " | ".join(fmt(median(cell, server, f), d) for _, f, d in COLUMNS) + " |")
table = "\n".join(lines)


def ratio(a, b):
    return a / b if a is not None and b else None


def rate_field(cell):
    return "handshakes_per_s" if "handshake" in cell else "messages_per_s"


def cpu_field(cell):
    return "server_cpu_us_per_handshake" if "handshake" in cell else "server_cpu_us_per_message"


def is_tls(cell):
    return cell.startswith("tls-")


ratio_lines = ["| cell | peer | ratchet msgs/s ÷ peer | ratchet CPU/op ÷ peer |", "| --- | --- | --- | --- |"]
for (cell, server) in runs:
    if server.startswith("ratchet-1t") or is_tls(cell):
        continue
    rate, cpu = rate_field(cell), cpu_field(cell)
    ratio_lines.append(
        f"| {cell} | {server} | {fmt(ratio(median(cell, 'ratchet-1t', rate), median(cell, server, rate)), 2)} "
        f"| {fmt(ratio(median(cell, 'ratchet-1t', cpu), median(cell, server, cpu)), 2)} |")
ratios = "\n".join(ratio_lines)


def tls_reference(cell):
    """The ratchet TLS server that a tls-* cell's other servers are compared with."""
    return "ratchet-tls-rsa" if cell.endswith("-rsa") else "ratchet-tls-1t"


# Rate and CPU per operation where the cell has them (idle has neither: it holds
# connections), RSS per connection everywhere (for echo it includes the buffers in use).
RSS = "server_rss_per_connection_bytes"
tls_lines = ["| cell | ratchet | peer | ratchet rate ÷ peer | ratchet CPU/op ÷ peer | ratchet RSS/conn ÷ peer |",
             "| --- | --- | --- | --- | --- | --- |"]
for (cell, server) in runs:
    ref = tls_reference(cell)
    if not is_tls(cell) or server == ref:
        continue
    idle = "idle" in cell
    rate, cpu = rate_field(cell), cpu_field(cell)
    tls_lines.append(
        f"| {cell} | {ref} | {server} "
        f"| {'-' if idle else fmt(ratio(median(cell, ref, rate), median(cell, server, rate)), 2)} "
        f"| {'-' if idle else fmt(ratio(median(cell, ref, cpu), median(cell, server, cpu)), 2)} "
        f"| {fmt(ratio(median(cell, ref, RSS), median(cell, server, RSS)), 2)} |")
tls_ratios = "\n".join(tls_lines)

TARGETS = [  # what, value, goal, holds
    ("echo 100×32 B msgs/s ≥ 0.95× raw TCP",
     ratio(median("echo-100x32", "ratchet-1t", "messages_per_s"), median("echo-100x32", "tcp-echo", "messages_per_s")), 0.95, ">="),
    ("echo 100×4 KiB msgs/s ≥ 0.95× raw TCP",
     ratio(median("echo-100x4k", "ratchet-1t", "messages_per_s"), median("echo-100x4k", "tcp-echo", "messages_per_s")), 0.95, ">="),
    ("echo 100×32 B server CPU/msg ≤ 0.6× Beast",
     ratio(median("echo-100x32", "ratchet-1t", "server_cpu_us_per_message"), median("echo-100x32", "beast-echo", "server_cpu_us_per_message")), 0.6, "<="),
    ("echo 100×4 KiB server CPU/msg ≤ 0.6× Beast",
     ratio(median("echo-100x4k", "ratchet-1t", "server_cpu_us_per_message"), median("echo-100x4k", "beast-echo", "server_cpu_us_per_message")), 0.6, "<="),
    ("echo 1000×32 B msgs/s ≥ 2.5× Beast",
     ratio(median("echo-1000x32", "ratchet-1t", "messages_per_s"), median("echo-1000x32", "beast-echo", "messages_per_s")), 2.5, ">="),
    ("echo 1000×4 KiB msgs/s ≥ 2.5× Beast",
     ratio(median("echo-1000x4k", "ratchet-1t", "messages_per_s"), median("echo-1000x4k", "beast-echo", "messages_per_s")), 2.5, ">="),
    ("handshake server CPU ≤ 0.65× Beast",
     ratio(median("handshake", "ratchet-1t", "server_cpu_us_per_handshake"), median("handshake", "beast-echo", "server_cpu_us_per_handshake")), 0.65, "<="),
    ("broadcast 1→1000 deliveries/s ≥ 10× Beast chat",
     ratio(median("broadcast-1000", "ratchet-1t", "messages_per_s"), median("broadcast-1000", "beast-chat", "messages_per_s")), 10, ">="),
    ("idle 10k: RSS/conn ≤ 1 KiB (bytes)", median("idle-10k", "ratchet-1t", "server_rss_per_connection_bytes"), 1024, "<="),
]
TLS_TARGETS = [
    ("idle 10k: RSS/conn over TLS ≤ 3× plain (ratchet-tls-1t ÷ ratchet-1t)",
     ratio(median("tls-idle-10k", "ratchet-tls-1t", RSS), median("tls-idle-10k", "ratchet-1t", RSS)), 3, "<="),
]


def target_table(rows):
    out = ["| target | measured | verdict |", "| --- | --- | --- |"]
    for what, value, goal, op in rows:
        verdict = "-" if value is None else ("hit" if (value >= goal if op == ">=" else value <= goal) else "missed")
        out.append(f"| {what} | {fmt(value, 2)} | {verdict} |")
    return "\n".join(out)


targets = target_table(TARGETS)
tls_targets = target_table(TLS_TARGETS)


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return "?"


cpu_model = sh("lscpu | sed -n 's/^Model name: *//p'")
machine = (f"- nproc: {sh('nproc')}\n- CPU: {cpu_model}\n"
           f"- kernel: {platform.release()}\n- date: {datetime.datetime.now().isoformat(timespec='seconds')}\n"
           f"- runs: {how}; server on CPU 0 (taskset -c 0), client on CPU 1 (taskset -c 1)")
commands = "\n".join(dict.fromkeys(open(commands_path).read().splitlines()))
report = f"""# Benchmark results

Written by `bench/run.sh` (see bench/README.md). Figures from a shared machine are noisy;
compare ratios within one run, not across runs.

## Machine

{machine}

## Results (median per cell)

{table}

## ratchet (1 server thread) against each peer

{ratios}

## Issue 5 targets

{targets}

## TLS (wss): ratchet against Beast, same certificate

Full handshakes only (the client never resumes a session); ECDSA P-256 certificates unless
the cell ends in -rsa. tls-idle-10k also compares with plain ratchet-1t.

{tls_ratios}

{tls_targets}

## Commands

```
{commands}
```
"""
open(out_path, "w").write(report)
print(table, ratios, targets, tls_ratios, tls_targets, sep="\n\n")
print(f"\nwritten: {out_path}")
