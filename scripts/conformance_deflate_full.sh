#!/usr/bin/env bash
# Runs conformance sections 12 and 13 (permessage-deflate) in full, the way the Autobahn
# testsuite does: all 216 cases with 1000 messages each (CTest runs them with 10), and then
# prints how long that took.
#   scripts/conformance_deflate_full.sh [extra doctest arguments, e.g. -s]
# $DEFLATE_MESSAGES overrides the count and $BUILD_DIR the build directory (default: build).
# The conformance binary is built first (scripts/build.sh). Exits non-zero when a case fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=${BUILD_DIR:-build}
messages=${DEFLATE_MESSAGES:-1000}

BUILD_TARGETS=conformance scripts/build.sh

start=$SECONDS
rc=0
# Each case prints its time as a [bench] line; the servers' info lines are left out.
RATCHET_LOG_LEVEL=${RATCHET_LOG_LEVEL:-warn} "$BUILD_DIR/tests/conformance" \
  --deflate-messages="$messages" --test-case="conformance 12.*,conformance 13.*" "$@" || rc=$?
printf 'conformance sections 12-13, 216 cases of %s messages: %ds\n' "$messages" \
  $((SECONDS - start))
exit "$rc"
