#!/usr/bin/env bash
# Installs the dependencies, builds, and runs the demo server in the foreground:
#   scripts/demo.sh [ratchet-demo options...]
# By default it listens on 0.0.0.0:8080 and prints its URLs: the chat page at
# http://localhost:8080/, the bot at /bot.html, ws://localhost:8080/echo and POST /push.
# Options: --host NAME --address ADDR --port N --threads N --web-root DIR
# --push-token TOKEN --log-level trace|debug|info|warn|error. Ctrl-C stops it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
BUILD_TARGETS=ratchet-demo scripts/build.sh  # the tests are built by scripts/test.sh
exec "${BUILD_DIR:-build}/apps/demo/ratchet-demo" "$@"
