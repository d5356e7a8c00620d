#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz) with the `fuzz` preset and runs each one:
#   scripts/fuzz.sh [SECONDS per harness, default 60]
#
# Each harness starts from a copy of its seed corpus (tests/fuzz/corpus/<harness>), so the
# repository is never written to, and runs under ASan (with leak detection) and UBSan
# (halting on the first report). Exits non-zero on any finding: a crash or failed invariant,
# a leak, a timeout (10 s for one input), running out of memory (2 GB), or a UBSan report.
# A finding's input is kept as build-fuzz/fuzz-run/<harness>/crash-* (or leak-*, timeout-*,
# oom-*); replay it with: build-fuzz/tests/fuzz/<harness> <that file>.
#
# $FUZZ_JOBS sets the build's parallelism (default 2). Installs clang and libFuzzer's runtime
# with apt-get when they are missing (as root; idempotent, like scripts/setup.sh).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECONDS_PER_HARNESS=${1:-60}
[[ $SECONDS_PER_HARNESS =~ ^[1-9][0-9]*$ ]] ||
  { echo "usage: scripts/fuzz.sh [SECONDS per harness, default 60]" >&2; exit 2; }
BUILD_DIR=build-fuzz  # the preset's binaryDir
HARNESSES=(fuzz_http_request fuzz_ws_frames fuzz_ws_deflate fuzz_utf8)

log() { printf 'fuzz: %s\n' "$*"; }
die() { printf 'fuzz: error: %s\n' "$*" >&2; exit 1; }

# ---- Dependencies --------------------------------------------------------------------------
scripts/setup.sh

installed() {
  local status
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || return 1
  [[ $status == ii* ]]
}
required=(clang libclang-rt-14-dev)  # Debian 12's clang is clang 14
optional=(llvm-14)                   # llvm-symbolizer, for readable stacks
missing=()
for pkg in "${required[@]}" "${optional[@]}"; do installed "$pkg" || missing+=("$pkg"); done
if ((${#missing[@]} > 0)); then
  ((EUID == 0)) ||
    die "missing packages: ${missing[*]}; as root run: apt-get update &&" \
        "apt-get install -y --no-install-recommends ${missing[*]}"
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}" ||
    die "apt-get could not install: ${missing[*]} (is this Debian 12 (bookworm)?)"
fi

# ---- Build -------------------------------------------------------------------------------
configure=(--preset fuzz)
if command -v ccache >/dev/null 2>&1; then
  configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Lets ccache cache objects built with precompiled headers (as scripts/build.sh does).
  export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
fi
build_start=$SECONDS
cmake "${configure[@]}" >/dev/null
cmake --build --preset fuzz -j "${FUZZ_JOBS:-2}"
log "built in $((SECONDS - build_start)) s"

# ---- Run ---------------------------------------------------------------------------------
symbolizer=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 || true)
# A smaller quarantine than the default 256 MB: each input frees its buffers before the next
# one starts, and with many small allocations the default makes the RSS approach 1 GB.
asan=detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
asan+=:quarantine_size_mb=64
ubsan=halt_on_error=1:print_stacktrace=1
if [[ -n $symbolizer ]]; then
  export ASAN_SYMBOLIZER_PATH=$symbolizer
  ubsan+=:external_symbolizer_path=$symbolizer
fi
export ASAN_OPTIONS=$asan UBSAN_OPTIONS=$ubsan

run_dir=$BUILD_DIR/fuzz-run
failed=()
for harness in "${HARNESSES[@]}"; do
  dir=$run_dir/$harness
  rm -rf "$dir"
  mkdir -p "$dir/corpus"
  cp tests/fuzz/corpus/"$harness"/* "$dir/corpus/"
  seeds=$(find "$dir/corpus" -type f | wc -l)
  rc=0
  # The outer timeout only guards against a fuzzer that does not stop on its own.
  timeout -k 10 $((2 * SECONDS_PER_HARNESS + 60)) \
    "$BUILD_DIR/tests/fuzz/$harness" "$dir/corpus" \
    -max_total_time="$SECONDS_PER_HARNESS" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/" >"$dir/log" 2>&1 || rc=$?

  # "#123 DONE cov: 456 ft: 789 corp: 40/2Kb ..." (or the last status line before a crash).
  last=$(grep -E '^#[0-9]+[[:space:]].*cov: ' "$dir/log" | tail -n 1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log")
  [[ -n $execs ]] || execs=$(sed -E -n 's/^#([0-9]+)[[:space:]].*/\1/p' <<<"$last")
  cov=$(sed -E -n 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -E -n 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  corpus=$(find "$dir/corpus" -type f | wc -l)
  stats="${execs:-?} execs (${rate:-?}/s), cov ${cov:-?}, ft ${ft:-?}, corpus $seeds -> $corpus"
  findings=$(find "$dir" -maxdepth 1 -type f \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
  if ((rc == 0)) && [[ -z $findings ]] && ! grep -q 'runtime error:' "$dir/log"; then
    log "$harness: ok, $stats"
    continue
  fi
  failed+=("$harness")
  log "$harness: FAILED (exit code $rc), $stats"
  # The report: from the first sanitizer or libFuzzer error line on.
  awk '/==[0-9]+==ERROR|runtime error:|ERROR: libFuzzer|^SUMMARY|ALARM: working/ { on = 1 }
       on { print; if (++n == 120) exit }' "$dir/log" >&2
  for f in $findings; do
    printf 'fuzz: input %s (%d bytes), hex: %s\n' "$f" "$(stat -c %s "$f")" \
      "$(od -An -v -tx1 "$f" | tr -d ' \n' | head -c 2048)" >&2
  done
  log "full log: $dir/log"
done

if ((${#failed[@]} > 0)); then
  log "FAILED: ${failed[*]}"
  exit 1
fi
log "all ${#HARNESSES[@]} harnesses ran ${SECONDS_PER_HARNESS} s each without a finding"
