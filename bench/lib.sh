# Shared by bench/run.sh and bench/scale.sh (sourced): starting and stopping a pinned server.
# Needs $BIN (the build's apps/bench directory) and $ROOT (the repository); the TLS servers
# use the throw-away certificates of bench/make_cert.sh in $CERT_DIR (see ensure_certs).

CERT_DIR=${CERT_DIR:-$ROOT/${BUILD_DIR:-build-bench}/bench-certs}

# Makes the ECDSA and RSA certificates in $CERT_DIR unless they are there (bench/make_cert.sh).
ensure_certs() {
  "$ROOT/bench/make_cert.sh" "$CERT_DIR"
}

# The command line of server NAME: ratchet-1t ratchet-2t beast-echo beast-chat node-echo
# node-broadcast python-echo python-broadcast tcp-echo, and over TLS (wss) ratchet-tls-1t and
# beast-tls-echo (ECDSA P-256 certificate), ratchet-tls-rsa and beast-tls-rsa (RSA-2048).
# With permessage-deflate (the servers whose name has "deflate"; ratchet-bench must offer it
# with --deflate): ratchet-deflate (ratchet::Compression's defaults), ratchet-deflate-takeover
# (serverContextTakeover), ratchet-deflate-client-context (clientNoContextTakeover off), and
# node ws with the same settings as ratchet-deflate: node-echo-deflate, node-broadcast-deflate.
server_cmd() {
  case $1 in
    ratchet-1t) echo "$BIN/ratchet-bench-server --threads 1" ;;
    ratchet-2t) echo "$BIN/ratchet-bench-server --threads 2" ;;
    # A build of an earlier commit, for before/after runs side by side:
    # RATCHET_BEFORE_BIN=/path/to/ratchet-bench-server bench/run.sh --only ' (ratchet-1t|ratchet-before)$'
    ratchet-before) echo "${RATCHET_BEFORE_BIN:?set RATCHET_BEFORE_BIN to an earlier ratchet-bench-server} --threads 1" ;;
    ratchet-deflate) echo "$BIN/ratchet-bench-server --threads 1 --deflate" ;;
    ratchet-deflate-takeover) echo "$BIN/ratchet-bench-server --threads 1 --deflate-takeover" ;;
    ratchet-deflate-client-context) echo "$BIN/ratchet-bench-server --threads 1 --deflate-client-context" ;;
    ratchet-tls-1t) echo "$BIN/ratchet-bench-server --threads 1 --tls-cert $CERT_DIR/ecdsa.crt --tls-key $CERT_DIR/ecdsa.key" ;;
    ratchet-tls-rsa) echo "$BIN/ratchet-bench-server --threads 1 --tls-cert $CERT_DIR/rsa.crt --tls-key $CERT_DIR/rsa.key" ;;
    beast-echo) echo "$BIN/bench-beast-echo --threads 1" ;;
    beast-tls-echo) echo "$BIN/bench-beast-tls-echo --threads 1 --cert $CERT_DIR/ecdsa.crt --key $CERT_DIR/ecdsa.key" ;;
    beast-tls-rsa) echo "$BIN/bench-beast-tls-echo --threads 1 --cert $CERT_DIR/rsa.crt --key $CERT_DIR/rsa.key" ;;
    beast-chat) echo "$BIN/bench-beast-chat --threads 1" ;;
    node-echo) echo "node $ROOT/bench/servers/ws_echo.mjs --mode echo" ;;
    node-broadcast) echo "node $ROOT/bench/servers/ws_echo.mjs --mode broadcast" ;;
    node-echo-deflate) echo "node $ROOT/bench/servers/ws_echo.mjs --mode echo --deflate" ;;
    node-broadcast-deflate) echo "node $ROOT/bench/servers/ws_echo.mjs --mode broadcast --deflate" ;;
    python-echo) echo "/usr/bin/python3 $ROOT/bench/servers/websockets_echo.py --mode echo" ;;
    python-broadcast) echo "/usr/bin/python3 $ROOT/bench/servers/websockets_echo.py --mode broadcast" ;;
    tcp-echo) echo "$BIN/bench-tcp-echo" ;;
    *) echo "unknown server $1" >&2; return 1 ;;
  esac
}

# server_url NAME PORT PATH: how ratchet-bench reaches server NAME. wss uses the name
# localhost (the certificates' name, sent as SNI; an address literal would not be).
server_url() {
  case $1 in
    tcp-echo) echo "tcp://127.0.0.1:$2" ;;
    *-tls-*) echo "wss://localhost:$2$3" ;;
    *) echo "ws://127.0.0.1:$2$3" ;;
  esac
}

# start_server NAME CORE [ARGS...]: sets SERVER_PID and SERVER_PORT; fails after 10 s without
# a port. ARGS go to the server after its own.
start_server() {
  local out
  out=$(mktemp)
  # shellcheck disable=SC2046  # the command line is split on purpose
  taskset -c "$2" $(server_cmd "$1") "${@:3}" --port 0 >"$out" 2>&1 &
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
