#!/usr/bin/env bash
# Throw-away self-signed certificates for the TLS benchmarks, for localhost and 127.0.0.1:
# DIR/ecdsa.crt + DIR/ecdsa.key (P-256) and DIR/rsa.crt + DIR/rsa.key (RSA-2048), PEM,
# valid 30 days. Existing ones are kept while still valid for a day. They belong in the
# build directory (bench/run.sh uses $BUILD_DIR/bench-certs), never in the repository.
#
#   bench/make_cert.sh DIR
set -euo pipefail

DIR=${1:?usage: bench/make_cert.sh DIR}
mkdir -p "$DIR"
make_pair() {  # make_pair NAME openssl -newkey argument, -pkeyopt ...
  local name=$1
  shift
  if [[ -s $DIR/$name.key ]] && openssl x509 -in "$DIR/$name.crt" -noout -checkend 86400 >/dev/null 2>&1; then
    return
  fi
  openssl req -x509 -nodes -days 30 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$DIR/$name.key" -out "$DIR/$name.crt" "$@" 2>/dev/null
  chmod 600 "$DIR/$name.key"
}
make_pair ecdsa -newkey ec -pkeyopt ec_paramgen_curve:P-256
make_pair rsa -newkey rsa:2048
