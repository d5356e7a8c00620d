#!/usr/bin/env bash
# Configures and builds ratchet: scripts/build.sh [extra cmake arguments...]
#
# The build directory is $BUILD_DIR (default: build, relative to the repository root).
# Uses Ninja when installed and ccache as the compiler launcher when installed. Arguments
# are passed to the configure step after the defaults, so they can override them, e.g.
#   BUILD_DIR=build-asan scripts/build.sh -DRATCHET_SANITIZE=address,undefined
# $BUILD_TARGETS (space-separated) builds only those targets instead of everything.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=${BUILD_DIR:-build}

args=(-S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo)
# The generator can only be chosen when the build directory is new.
if [[ ! -f $BUILD_DIR/CMakeCache.txt ]] && command -v ninja >/dev/null 2>&1; then
  args+=(-G Ninja)
fi
if command -v ccache >/dev/null 2>&1; then
  args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Lets ccache cache objects built with precompiled headers (target_precompile_headers).
  export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
fi

cmake "${args[@]}" "$@"
targets=()
for target in ${BUILD_TARGETS:-}; do targets+=(--target "$target"); done
cmake --build "$BUILD_DIR" -j "$(nproc)" "${targets[@]}"
