#!/usr/bin/env bash
# Browser tests (tests/browser): headless Chromium opens a WebSocket from a page served by
# ratchet and echoes text and binary messages (also with permessage-deflate:
# browser:chromium-deflate), and uses the demo's chat and bot pages against ratchet-demo, and
# echoes over https:// and wss:// with the TLS test PKI (browser:chromium-tls, hence the
# tls-certs target). Installs what it needs, builds both servers in $BUILD_DIR
# (default: build) and runs the CTest tests labelled "browser":
#   scripts/browser.sh [extra ctest arguments]
#
# Idempotent: Debian's chromium is installed only when dpkg-query says it is missing (as
# root; otherwise the script says what to run), and `npm ci` in tests/browser only when the
# locked playwright-core is not the installed one, so a second run needs no network.
# playwright-core drives /usr/bin/chromium and never downloads a browser of its own.
# Exits non-zero when anything fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=${BUILD_DIR:-build}

log() { printf 'browser: %s\n' "$*"; }
die() { printf 'browser: error: %s\n' "$*" >&2; exit 1; }

# Chromium, and a font for legible screenshots (normally there already).
packages=(chromium fonts-dejavu-core)
installed() {
  local status
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || return 1
  [[ $status == ii* ]]
}
command -v dpkg-query >/dev/null 2>&1 ||
  die "dpkg-query not found: this script supports Debian 12 only (install: ${packages[*]})"
missing=()
for pkg in "${packages[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  if ((EUID != 0)); then
    die "missing packages: ${missing[*]}; run as root:
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
  fi
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}" ||
    die "apt-get could not install: ${missing[*]}"
else
  log "chromium already installed"
fi
[[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is missing although the package is installed"

for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is needed (scripts/setup.sh installs it)"
done

# playwright-core, pinned by tests/browser/package-lock.json.
(
  cd tests/browser
  if node -e '
      const want = require("./package-lock.json").packages["node_modules/playwright-core"].version;
      const have = require("./node_modules/playwright-core/package.json").version;
      process.exit(want === have ? 0 : 1);' 2>/dev/null; then
    log "playwright-core $(node -p 'require("./node_modules/playwright-core/package.json").version') already installed"
  else
    npm ci --no-audit --no-fund
  fi
)

BUILD_TARGETS='ratchet-browser-server ratchet-demo tls-certs' scripts/build.sh -DRATCHET_BROWSER_TESTS=ON

ctest --test-dir "$BUILD_DIR" -L browser --no-tests=error --output-on-failure --timeout 300 "$@"
