#!/usr/bin/env bash
# fuzz/run.sh — runs one fuzz target over its seeds, for ctest.
#
#   run.sh replay FUZZER WORK_DIR [-dict=FILE] SEED_DIR...
#       runs every seed and regression input once (any build);
#   run.sh smoke SECONDS FUZZER WORK_DIR [-dict=FILE] SEED_DIR...
#       fuzzes for SECONDS from the seeds (a libFuzzer build). A finding fails
#       the test and is kept under WORK_DIR/findings/: copy it to
#       fuzz/regressions/<target>/ and fix the bug. The random seed is fixed
#       (GRADC_FUZZ_SEED, default 1), so a test run explores the same inputs
#       in the same order each time (a faster machine just gets further):
#       a test that passed does not fail later on a bug it never reached.
#       GRADC_FUZZ_SEED=random lets libFuzzer pick one, for exploring.
#
# Seed directories that do not exist are skipped. Exits 77 (ctest: skipped)
# when FUZZER has not been built.
set -euo pipefail

mode=$1
shift
seconds=0
if [ "$mode" = smoke ]; then
  seconds=$1
  shift
fi
fuzzer=$1 work=$2
shift 2

if [ ! -x "$fuzzer" ]; then
  echo "skipped: $fuzzer is not built (scripts/build builds the sanitizer build next to build/)"
  exit 77
fi

flags=()
seeds=()
for arg in "$@"; do
  case $arg in
    -*) flags+=("$arg") ;;
    *) if [ -d "$arg" ]; then seeds+=("$arg"); fi ;;
  esac
done

rm -rf "$work"
mkdir -p "$work/corpus" "$work/findings"
common=(-timeout=20 -rss_limit_mb=2560 -malloc_limit_mb=1024
        "-artifact_prefix=$work/findings/" -print_final_stats=1)
if [ "$mode" = replay ]; then
  "$fuzzer" -runs=0 "${common[@]}" "${flags[@]}" "${seeds[@]}"
  exit
fi

seed=${GRADC_FUZZ_SEED:-1}
if [ "$seed" = random ]; then
  seed=0 # libFuzzer: pick a seed from the clock
fi
status=0
"$fuzzer" -seed="$seed" -max_total_time="$seconds" "${common[@]}" "${flags[@]}" "$work/corpus" "${seeds[@]}" \
  || status=$?
if [ $status -ne 0 ] || [ -n "$(ls -A "$work/findings")" ]; then
  echo "fuzz: $(basename "$fuzzer") found a bug; inputs that show it:"
  ls -l "$work/findings"
  exit 1
fi
echo "fuzz: $(basename "$fuzzer"): no findings in ${seconds}s"
