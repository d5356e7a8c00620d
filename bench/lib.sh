# Shared by bench/run.sh and bench/scale.sh (sourced): starting and stopping a pinned server.
# Needs $BIN (the build's apps/bench directory) and $ROOT (the repository).

# The command line of server NAME: ratchet-1t ratchet-2t beast-echo beast-chat node-echo
# node-broadcast python-echo python-broadcast tcp-echo.
server_cmd() {
  case $1 in
    ratchet-1t) echo "$BIN/ratchet-bench-server --threads 1" ;;
    ratchet-2t) echo "$BIN/ratchet-bench-server --threads 2" ;;
    beast-echo) echo "$BIN/bench-beast-echo --threads 1" ;;
    beast-chat) echo "$BIN/bench-beast-chat --threads 1" ;;
    node-echo) echo "node $ROOT/bench/servers/ws_echo.mjs --mode echo" ;;
    node-broadcast) echo "node $ROOT/bench/servers/ws_echo.mjs --mode broadcast" ;;
    python-echo) echo "/usr/bin/python3 $ROOT/bench/servers/websockets_echo.py --mode echo" ;;
    python-broadcast) echo "/usr/bin/python3 $ROOT/bench/servers/websockets_echo.py --mode broadcast" ;;
    tcp-echo) echo "$BIN/bench-tcp-echo" ;;
    *) echo "unknown server $1" >&2; return 1 ;;
  esac
}

# start_server NAME CORE: sets SERVER_PID and SERVER_PORT; fails after 10 s without a port.
start_server() {
  local out
  out=$(mktemp)
  # shellcheck disable=SC2046  # the command line is split on purpose
  taskset -c "$2" $(server_cmd "$1") --port 0 >"$out" 2>&1 &
  SERVER_PID=$!
  SERVER_PORT=
  for _ in $(seq 100); do
    SERVER_PORT=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$out")
    [[ -n $SERVER_PORT ]] && break
    sleep 0.1
  done
  rm -f "$out"
  [[ -n $SERVER_PORT ]] || { echo "server $1 did not start" >&2; kill "$SERVER_PID"; return 1; }
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}
