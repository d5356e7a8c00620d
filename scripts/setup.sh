#!/usr/bin/env bash
# Installs what ratchet needs to build and test, on Debian 12, with apt-get.
#
# Idempotent: every package is checked with dpkg-query first, so when all are present the
# script touches neither apt nor the network. Run it as root; as another user it only
# reports what is missing (and fails if anything required is).
set -euo pipefail

# Boost 1.81 on purpose: Debian 12's default libboost-all-dev is 1.74, too old for us.
required=(
  build-essential g++ cmake ninja-build
  libboost1.81-dev libboost-json1.81-dev libfmt-dev doctest-dev libssl-dev
  zlib1g-dev  # permessage-deflate
  openssl  # the CLI: tests/tls/make_certs.sh writes the test certificates
  python3-websockets
)
optional=(ccache)

log() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

command -v dpkg-query >/dev/null 2>&1 ||
  die "dpkg-query not found: this script supports Debian 12 only. Install by hand:" \
      "${required[*]} ${optional[*]} nodejs npm"

installed() {
  local status
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || return 1
  [[ $status == ii* ]]
}

missing_required=()
for pkg in "${required[@]}"; do
  installed "$pkg" || missing_required+=("$pkg")
done
# Node.js (for the interop tests with the `ws` client) from Debian only when there is no
# node at all: a node from elsewhere (e.g. NodeSource, which bundles npm) is kept.
if ! command -v node >/dev/null 2>&1; then
  missing_required+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
  missing_required+=(npm)
fi
missing_optional=()
for pkg in "${optional[@]}"; do
  installed "$pkg" || missing_optional+=("$pkg")
done

if ((${#missing_required[@]} == 0 && ${#missing_optional[@]} == 0)); then
  log "all dependencies are installed"
  exit 0
fi

if ((EUID != 0)); then
  if ((${#missing_required[@]} == 0)); then
    log "optional packages missing (skipped, not root): ${missing_optional[*]}"
    exit 0
  fi
  printf 'setup: error: missing packages: %s\n' "${missing_required[*]}" >&2
  printf 'setup: run as root:\n  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends %s\n' \
    "${missing_required[*]} ${missing_optional[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get install -y --no-install-recommends "$@"; }

log "installing: ${missing_required[*]} ${missing_optional[*]}"
apt-get update
if ((${#missing_required[@]} > 0)); then
  # npm needs CA certificates to reach its registry.
  extra=()
  [[ " ${missing_required[*]} " == *" npm "* ]] && extra+=(ca-certificates)
  apt_install "${missing_required[@]}" "${extra[@]}" ||
    die "apt-get could not install: ${missing_required[*]} (is this Debian 12 (bookworm)?)"
fi
if ((${#missing_optional[@]} > 0)); then
  apt_install "${missing_optional[@]}" ||
    log "warning: optional packages not installed: ${missing_optional[*]}"
fi
log "done"
