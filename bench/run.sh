#!/usr/bin/env bash
# Runs the benchmark matrix of issue 5: every scenario against ratchet and its peers, server
# pinned to CPU 0 and client to CPU 1, the median of several runs per cell; prints the
# table and ratios and writes bench/RESULTS.md. The tls-* cells compare ratchet's wss with
# Beast's, on throw-away certificates (bench/make_cert.sh); the deflate-* cells compare
# ratchet's permessage-deflate with node ws's. A run of deflate-* cells only (--only
# '^deflate-') rewrites just the permessage-deflate section of RESULTS.md. See bench/README.md.
#
#   bench/run.sh [--quick] [--runs N] [--duration S] [--only REGEX]
#
# --quick: 1 run per cell, 2 s measured. --only: cells whose "cell server" name matches.
# $BUILD_DIR (default build-bench) must hold a build (scripts/build.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build-bench}
BIN=$ROOT/$BUILD_DIR/apps/bench
RUNS=3 DURATION=10 WARMUP=2 HOLD=5 ONLY=. QUICK=0
INVOCATION=bench/run.sh  # for RESULTS.md, arguments quoted where they need it
for arg in "$@"; do
  if [[ $arg =~ ^[A-Za-z0-9_./=:-]+$ ]]; then INVOCATION+=" $arg"; else INVOCATION+=" '$arg'"; fi
done
while (($#)); do
  case $1 in
    --quick) QUICK=1 RUNS=1 DURATION=2 WARMUP=0.5 HOLD=1 ;;
    --runs) RUNS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --only) ONLY=$2; shift ;;
    *) echo "usage: bench/run.sh [--quick] [--runs N] [--duration S] [--only REGEX]" >&2; exit 2 ;;
  esac
  shift
done
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
for tool in "$BIN/ratchet-bench" "$BIN/ratchet-bench-server" "$BIN/bench-beast-echo" \
  "$BIN/bench-beast-tls-echo"; do
  [[ -x $tool ]] || { echo "missing $tool: run BUILD_DIR=$BUILD_DIR scripts/build.sh" >&2; exit 1; }
done
ulimit -n "$(ulimit -Hn)"

RESULTS=$ROOT/$BUILD_DIR/bench-results.jsonl
COMMANDS=$ROOT/$BUILD_DIR/bench-commands.txt
HEAP_FILE=$ROOT/$BUILD_DIR/bench-heap.txt
: >"$RESULTS"
: >"$COMMANDS"

# cell|ratchet-bench arguments|servers (the path is /broadcast for broadcast, else /echo)
CELLS=(
  "echo-100x32|echo --connections 100 --size 32 --depth 1|ratchet-1t ratchet-before ratchet-2t beast-echo node-echo python-echo tcp-echo"
  "echo-100x4k|echo --connections 100 --size 4096 --depth 1|ratchet-1t ratchet-before ratchet-2t beast-echo node-echo python-echo tcp-echo"
  "echo-1000x32|echo --connections 1000 --size 32 --depth 1|ratchet-1t ratchet-before ratchet-2t beast-echo node-echo python-echo tcp-echo"
  "echo-1000x4k|echo --connections 1000 --size 4096 --depth 1|ratchet-1t ratchet-before ratchet-2t beast-echo node-echo python-echo tcp-echo"
  "handshake|handshake --connections 50|ratchet-1t ratchet-before ratchet-2t beast-echo node-echo python-echo"
  "broadcast-1000|broadcast --connections 1000 --size 64 --depth 32|ratchet-1t beast-chat node-broadcast python-broadcast"
  "idle-10k|idle --connections 10000 --hold $HOLD|ratchet-1t ratchet-before beast-echo node-echo python-echo"
  # wss: ratchet and Beast with the same certificate (ECDSA P-256 unless named -rsa). Every
  # handshake is a full one (the client never resumes). tls-idle-10k has plain ratchet-1t
  # too, for the memory a TLS connection adds.
  "tls-echo-100x32|echo --connections 100 --size 32 --depth 1|ratchet-tls-1t beast-tls-echo"
  "tls-echo-100x4k|echo --connections 100 --size 4096 --depth 1|ratchet-tls-1t beast-tls-echo"
  "tls-handshake-ecdsa|handshake --connections 50|ratchet-tls-1t beast-tls-echo"
  "tls-handshake-rsa|handshake --connections 50|ratchet-tls-rsa beast-tls-rsa"
  "tls-idle-10k|idle --connections 10000 --hold $HOLD|ratchet-tls-1t ratchet-1t beast-tls-echo"
  # permessage-deflate on compressible JSON-like text (--payload json). Servers whose name has
  # "deflate" get --deflate (the client offers it and fails without it); the others run plain.
  # deflate-idle-10k holds the connections quiet, has each send one 4 KiB message, holds them
  # quiet again (--after-message-hold) and measures RSS and, for ratchet, heap in use both times
  # (ratchet tells a connection it is quiet after 1-2 s without input; at least 3 s here).
  "deflate-echo-100x4k|echo --connections 100 --size 4096 --depth 1 --payload json|ratchet-deflate node-echo-deflate"
  "deflate-broadcast-1000|broadcast --connections 1000 --size 1024 --depth 32 --payload json|ratchet-deflate node-broadcast-deflate"
  "deflate-idle-10k|idle --connections 10000 --hold $((HOLD > 3 ? HOLD : 3)) --after-message-hold 4 --size 4096 --payload json|ratchet-deflate ratchet-1t ratchet-deflate-takeover ratchet-deflate-client-context"
)

for cell in "${CELLS[@]}"; do
  IFS='|' read -r name args servers <<<"$cell"
  for server in $servers; do
    [[ "$name $server" =~ $ONLY ]] || continue
    # The build of an earlier commit runs only when one is given (see bench/lib.sh).
    [[ $server == ratchet-before && -z ${RATCHET_BEFORE_BIN:-} ]] && continue
    path=/echo
    [[ $name == broadcast* || $name == deflate-broadcast* ]] && path=/broadcast
    client=$args
    [[ $server == *deflate* ]] && client+=" --deflate"
    # ratchet's heap in use in the idle cells (ratchet-bench-server --heap-file, SIGUSR1).
    server_extra=() heap=()
    if [[ $server == ratchet-* && $server != ratchet-before && $name == *idle* ]]; then
      server_extra=(--heap-file "$HEAP_FILE") heap=(--server-heap-file "$HEAP_FILE")
    fi
    # What only some servers need, when they are selected (--only may leave them out).
    [[ $server == *-tls-* ]] && ensure_certs
    if [[ $server == node-* && ! -d $ROOT/bench/node_modules/ws ]]; then
      (cd "$ROOT/bench" && npm ci --no-audit --no-fund)
    fi
    for run in $(seq "$RUNS"); do
      rm -f "$HEAP_FILE"
      start_server "$server" 0 "${server_extra[@]}"
      url=$(server_url "$server" "$SERVER_PORT" "$path")
      cmd=(taskset -c 1 "$BIN/ratchet-bench" $client --url "$url" --duration "$DURATION"
           --warmup "$WARMUP" --server-pid "$SERVER_PID" "${heap[@]}" --label "$name $server"
           --quiet --json "$RESULTS")
      echo "== $name $server run $run: ${cmd[*]}"
      echo "taskset -c 0 $(server_cmd "$server")${server_extra[*]:+ ${server_extra[*]}} --port 0   # then: ${cmd[*]/$RESULTS/FILE}" >>"$COMMANDS"
      "${cmd[@]}" >/dev/null || echo "   (failures counted: see the failures column)"
      stop_server
    done
  done
done

rm -f "$HEAP_FILE"
/usr/bin/python3 "$ROOT/bench/summarize.py" "$RESULTS" "$COMMANDS" "$ROOT/bench/RESULTS.md" \
  "$([[ $QUICK == 1 ]] && echo "--quick: 1 run, ${DURATION} s" || echo "median of $RUNS runs, ${DURATION} s")" \
  "$INVOCATION"
