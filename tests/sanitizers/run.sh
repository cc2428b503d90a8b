#!/usr/bin/env bash
# tests/sanitizers/run.sh BUILT_FILE COMMAND... — runs COMMAND, a test of the
# sanitizer build, or exits 77 (ctest: skipped) when that build lacks
# BUILT_FILE. Sanitizer reports end the test with a failure.
set -euo pipefail
built=$1
shift
if [ ! -e "$built" ]; then
  echo "skipped: $built is not built (scripts/build builds the sanitizer build next to build/)"
  exit 77
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "$@"
