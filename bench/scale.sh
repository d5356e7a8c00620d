#!/usr/bin/env bash
# Scaling run: ratchet's echo throughput and memory from 1k to 50k connections, then idle
# connections up to 100 000. Raises the fd limits (as root) and spreads the client over 64
# loopback source addresses. Bounded: each step has its own time limits inside ratchet-bench.
#
#   bench/scale.sh [SERVER]      SERVER as in bench/lib.sh, default ratchet-1t
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build-bench}
BIN=$ROOT/$BUILD_DIR/apps/bench
SERVER=${1:-ratchet-1t}
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
[[ $SERVER == *-tls-* ]] && ensure_certs

# 100k connections need 100k fds on each side; the hard limit can only be raised as root.
ulimit -Hn 262144 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
echo "fd limit $(ulimit -n); $(sysctl net.ipv4.ip_local_port_range)"
echo "(each of 64 source addresses has the whole ephemeral range for itself)"

OUT=$ROOT/$BUILD_DIR/bench-scale.jsonl
: >"$OUT"
# Each process needs one fd per connection: steps that do not fit the limit are skipped.
MAX_CONNECTIONS=$(($(ulimit -n) - 200))
step() {  # step LABEL CONNECTIONS ratchet-bench arguments...
  local label=$1 n=$2
  shift 2
  if ((n > MAX_CONNECTIONS)); then
    echo "== $label: skipped, $n connections exceed the fd limit $(ulimit -n) (raise it as root)"
    return
  fi
  start_server "$SERVER" 0
  echo "== $label"
  taskset -c 1 "$BIN/ratchet-bench" "$@" --connections "$n" --url "$(server_url "$SERVER" "$SERVER_PORT" /echo)" \
    --source-addresses 64 --server-pid "$SERVER_PID" --label "$label" --quiet --json "$OUT" \
    >/dev/null || echo "   (failures counted)"
  stop_server
}
for n in 1000 5000 10000 19000 50000; do
  step "echo-$n" "$n" echo --size 32 --depth 1 --duration 5 --warmup 1
done
for n in 10000 19000 50000 100000; do
  step "idle-$n" "$n" idle --hold 2
done
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
print(f"{'step':<12} {'msgs/s':>10} {'p99 µs':>10} {'RSS after MiB':>14} {'RSS/conn B':>11} {'failures':>9}")
for line in open(sys.argv[1]):
    r = json.loads(line)
    rss = r.get("server_rss_after_bytes")
    print(f"{r['label']:<12} {r['messages_per_s']:>10.0f} {r['latency_p99_us']:>10.0f} "
          f"{(rss or 0) / 2**20:>14.1f} {r.get('server_rss_per_connection_bytes', 0):>11.0f} {r['failures']:>9}")
PY
