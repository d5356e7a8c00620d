#!/usr/bin/python3
"""Turns bench/run.sh's JSON lines into a table, ratios and bench/RESULTS.md.

    summarize.py RESULTS.jsonl COMMANDS.txt OUT.md "how it was run" ["bench/run.sh ARGS"]

Each cell is the median over its runs of every figure. Ratios compare ratchet (1 server
thread) with each peer, and the issue's targets are checked where they apply. The tls-*
cells (wss) get their own ratios: ratchet's TLS server against Beast's with the same
certificate, and the memory of an idle TLS connection against a plain one. The deflate-*
cells (permessage-deflate) get a section of their own, "permessage-deflate (issue 10)":
when the run had only deflate-* cells, that section alone is written into OUT.md (replacing
the one there, or put first), and the rest of the file is kept.
"""

import datetime
import json
import platform
import statistics
import subprocess
import sys
from collections import defaultdict

results_path, commands_path, out_path, how = sys.argv[1:5]
invocation = sys.argv[5] if len(sys.argv) > 5 else None
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


def is_deflate(cell):
    return cell.startswith("deflate-")


def results_table(keep):
    lines = ["| cell | server | " + " | ".join(c[0] for c in COLUMNS) + " |",
             "|" + " --- |" * (len(COLUMNS) + 2)]
    for (cell, server) in runs:
        if keep(cell):
            lines.append(f"| {cell} | {server} | " +
                         " | ".join(fmt(median(cell, server, f), d) for _, f, d in COLUMNS) + " |")
    return "\n".join(lines)


table = results_table(lambda cell: not is_deflate(cell))


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
    if server.startswith("ratchet-1t") or is_tls(cell) or is_deflate(cell):
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


# ---- permessage-deflate (issue 10) --------------------------------------------------------
DEFLATE_REF = "ratchet-deflate"
HEAP = "server_heap_per_connection_bytes"
RSS_MSG = "server_rss_per_connection_after_message_bytes"
HEAP_MSG = "server_heap_per_connection_after_message_bytes"
deflate_runs = [(cell, server) for (cell, server) in runs if is_deflate(cell)]
deflate_lines = ["| cell | peer | ratchet-deflate rate ÷ peer | ratchet-deflate CPU/op ÷ peer |",
                 "| --- | --- | --- | --- |"]
for (cell, server) in deflate_runs:
    if server == DEFLATE_REF or "idle" in cell:
        continue
    rate, cpu = rate_field(cell), cpu_field(cell)
    deflate_lines.append(
        f"| {cell} | {server} | {fmt(ratio(median(cell, DEFLATE_REF, rate), median(cell, server, rate)), 2)} "
        f"| {fmt(ratio(median(cell, DEFLATE_REF, cpu), median(cell, server, cpu)), 2)} |")
deflate_ratios = "\n".join(deflate_lines)

IDLE = "deflate-idle-10k"
PLAIN = "ratchet-1t"
memory_lines = ["| server | RSS/conn B, idle | RSS/conn B, after 1 message | heap/conn B, idle "
                "| heap/conn B, after 1 message | RSS ÷ plain, idle | RSS ÷ plain, after | "
                "heap ÷ plain, idle | heap ÷ plain, after |",
                "|" + " --- |" * 9]
for (cell, server) in deflate_runs:
    if cell != IDLE:
        continue
    memory_lines.append(
        f"| {server} | {fmt(median(cell, server, RSS))} | {fmt(median(cell, server, RSS_MSG))} "
        f"| {fmt(median(cell, server, HEAP))} | {fmt(median(cell, server, HEAP_MSG))} | "
        + " | ".join(fmt(ratio(median(cell, server, f), median(cell, PLAIN, f)), 2)
                     for f in (RSS, RSS_MSG, HEAP, HEAP_MSG)) + " |")
deflate_memory = "\n".join(memory_lines)


def idle_ratio(field):
    return ratio(median(IDLE, DEFLATE_REF, field), median(IDLE, PLAIN, field))


DEFLATE_TARGETS = [
    ("deflate echo 100×4 KiB JSON msgs/s ≥ 2× node ws with deflate",
     ratio(median("deflate-echo-100x4k", DEFLATE_REF, "messages_per_s"),
           median("deflate-echo-100x4k", "node-echo-deflate", "messages_per_s")), 2, ">="),
    ("deflate broadcast 1→1000 deliveries/s ≥ 10× node ws with deflate",
     ratio(median("deflate-broadcast-1000", DEFLATE_REF, "messages_per_s"),
           median("deflate-broadcast-1000", "node-broadcast-deflate", "messages_per_s")), 10, ">="),
    ("deflate idle 10k, never messaged: RSS/conn with the defaults ≤ 1.5× without deflate",
     idle_ratio(RSS), 1.5, "<="),
    ("the same, heap in use", idle_ratio(HEAP), 1.5, "<="),
    ("deflate idle 10k, after one message each and quiet: RSS/conn ≤ 1.5× without deflate",
     idle_ratio(RSS_MSG), 1.5, "<="),
    ("the same, heap in use", idle_ratio(HEAP_MSG), 1.5, "<="),
]


def first_commands(keep):
    """One server command line per (cell, server): the first run's."""
    seen, out = set(), []
    for line in open(commands_path).read().splitlines():
        label = line.split("--label ", 1)[1].split(" --quiet")[0] if "--label " in line else line
        if keep(label.split(" ")[0]) and label not in seen:
            seen.add(label)
            out.append(line)
    return "\n".join(out)


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
DEFLATE_TITLE = "## permessage-deflate (issue 10)"
deflate_section = f"""{DEFLATE_TITLE}

Written by `bench/run.sh` ({datetime.date.today().isoformat()}; {how}; server on CPU 0, client on
CPU 1; nproc {sh('nproc')}, {cpu_model}, kernel {platform.release()}). The command:
`{invocation or 'bench/run.sh'}`. Ratios are within this one run, side by side.

Messages are compressible JSON-like ticker text (`--payload json`: keys repeat, values vary;
4 KiB compresses about 5× at zlib level 6). The client offers `permessage-deflate;
client_max_window_bits` and fails every connection the server does not agree on; it
compresses at zlib level 1, each message on its own, and inflates and checks every byte it
gets. The servers compress at zlib level 6, messages of 64 bytes or more, without context
takeover (`-takeover`: with it). ratchet-deflate is ratchet::Compression's defaults,
ratchet-deflate-client-context has clientNoContextTakeover off, node ws has the same settings
as the defaults (`perMessageDeflate`: level 6, threshold 64, serverNoContextTakeover).
deflate-idle-10k: 10 000 connections held quiet (RSS sampled after they open, heap in use at
the end of the hold), then one 4 KiB message each way on every connection and 4 s of quiet
again (RSS and heap sampled again); ratchet-1t is the same without deflate. Heap in use is
glibc's (mallinfo2, asked of ratchet-bench-server with SIGUSR1); unlike RSS it goes down when
memory is freed.

### Results (median per cell)

{results_table(is_deflate)}

### ratchet-deflate against node ws

{deflate_ratios}

### Idle memory per connection (deflate-idle-10k; ÷ plain: ÷ ratchet-1t)

{deflate_memory}

### Targets

{target_table(DEFLATE_TARGETS)}

### Server commands (first run of each)

```
{first_commands(is_deflate)}
```
"""
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

{deflate_section if deflate_runs else ""}
## Commands

```
{commands}
```
"""
if deflate_runs and len(deflate_runs) == len(runs):
    # Only deflate-* cells: their section replaces the one in OUT.md (or goes first).
    try:
        old = open(out_path).read()
    except FileNotFoundError:
        old = "# Benchmark results\n"
    lines = old.splitlines(keepends=True)
    start = next((i for i, l in enumerate(lines) if l.rstrip() == DEFLATE_TITLE), None)
    if start is None:  # after the title line and the blank line after it
        start = end = next((i + 1 for i, l in enumerate(lines) if l.startswith("# ")), 0)
        while end < len(lines) and not lines[end].strip():
            start = end = end + 1
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    open(out_path, "w").write("".join(lines[:start]) + deflate_section + "\n" + "".join(lines[end:]))
    print(deflate_section)
else:
    open(out_path, "w").write(report)
    print(table, ratios, targets, tls_ratios, tls_targets, sep="\n\n")
    if deflate_runs:
        print(deflate_section)
print(f"\nwritten: {out_path}")
