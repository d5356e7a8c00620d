#!/usr/bin/env bash
# Writes a throw-away test PKI for the tls tests: tests/tls/make_certs.sh OUTDIR
#
# These are generated test fixtures (the build makes them under the build directory): never
# commit them, never use them for anything but tests. Idempotent: does nothing when
# OUTDIR/.complete exists, which is written last, so an interrupted run starts over.
#
#   ca.pem, ca.key                   the test CA (P-256), which signs everything below
#   server-rsa.pem/.key              RSA-2048, SAN DNS:localhost, IP:127.0.0.1, IP:::1
#   server-ecdsa.pem/.key            P-256, the same SANs
#   a-test.pem/.key                  SAN DNS:a.test
#   wild-test.pem/.key               SAN DNS:*.wild.test
#   exact-wild-test.pem/.key         SAN DNS:exact.wild.test (exact names beat wildcards)
#   cn-only.pem/.key                 no SAN, CN=cn.test
#   server-encrypted.key             server-rsa.key under AES-256, passphrase "test-pass"
#   other.key                        an RSA-2048 key that matches no certificate
#   fullchain-rsa.pem                server-rsa.pem followed by ca.pem
set -euo pipefail

if (($# != 1)); then
  printf 'usage: %s OUTDIR\n' "$0" >&2
  exit 2
fi
out=$1
[[ -f $out/.complete ]] && exit 0
mkdir -p "$out"
cd "$out"
rm -f ./*.pem ./*.key ./*.csr ./*.ext ./*.log ./*.cnf

# A minimal config of our own, so the system's openssl.cnf cannot add or change extensions.
cat >openssl.cnf <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CNF
export OPENSSL_CONF=$PWD/openssl.cnf

days=3650
serial=1000

rsa_key() { openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"; }
ec_key() { openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

ec_key ca.key
openssl req -batch -config openssl.cnf -new -x509 -key ca.key -out ca.pem -days "$days" \
  -subj "/O=ratchet tests/CN=ratchet test CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash"

# leaf NAME CN KEYUSAGE [SAN]: NAME.pem signed by the CA for NAME.key (which must exist).
# keyEncipherment only for RSA keys: EC keys cannot encrypt (RFC 5480).
leaf() {
  local name=$1 cn=$2 usage=$3 san=${4:-}
  serial=$((serial + 1))
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,$usage"
    echo "extendedKeyUsage=serverAuth"
    echo "subjectKeyIdentifier=hash"
    echo "authorityKeyIdentifier=keyid"
    if [[ -n $san ]]; then echo "subjectAltName=$san"; fi
  } >"$name.ext"
  openssl req -batch -config openssl.cnf -new -key "$name.key" -subj "/O=ratchet tests/CN=$cn" \
    -out "$name.csr"
  # x509 -req reports success on stderr: shown only when it fails.
  if ! openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -set_serial "$serial" \
    -days "$days" -sha256 -extfile "$name.ext" -out "$name.pem" 2>"$name.log"; then
    cat "$name.log" >&2
    exit 1
  fi
  rm -f "$name.csr" "$name.ext" "$name.log"
}

rsa_key server-rsa.key
leaf server-rsa localhost digitalSignature,keyEncipherment "DNS:localhost,IP:127.0.0.1,IP:::1"
ec_key server-ecdsa.key
leaf server-ecdsa localhost digitalSignature "DNS:localhost,IP:127.0.0.1,IP:::1"
ec_key a-test.key
leaf a-test a.test digitalSignature "DNS:a.test"
ec_key wild-test.key
leaf wild-test "*.wild.test" digitalSignature "DNS:*.wild.test"
ec_key exact-wild-test.key
leaf exact-wild-test exact.wild.test digitalSignature "DNS:exact.wild.test"
ec_key cn-only.key
leaf cn-only cn.test digitalSignature

openssl pkey -in server-rsa.key -aes256 -passout pass:test-pass -out server-encrypted.key
rsa_key other.key
cat server-rsa.pem ca.pem >fullchain-rsa.pem

rm -f openssl.cnf
touch .complete
