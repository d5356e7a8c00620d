#!/usr/bin/env bash
# Installs the dependencies, builds, and runs the whole test suite with CTest:
#   scripts/test.sh [extra ctest arguments, e.g. -R interop]
# Exits non-zero when anything fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=${BUILD_DIR:-build}

scripts/setup.sh
scripts/build.sh

# The Node.js `ws` client for the interop tests, pinned by tests/interop/package-lock.json.
# Skipped when the locked version is already installed, so a second run needs no network.
(
  cd tests/interop
  if node -e '
      const want = require("./package-lock.json").packages["node_modules/ws"].version;
      const have = require("./node_modules/ws/package.json").version;
      process.exit(want === have ? 0 : 1);' 2>/dev/null; then
    echo "test: node ws $(node -p 'require("./node_modules/ws/package.json").version') already installed"
  else
    npm ci --no-audit --no-fund
  fi
)

ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 300 "$@"
