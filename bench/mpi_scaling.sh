#!/usr/bin/env bash
# Data-parallel scaling on this machine: a model compiled for 1 process and
# for 2 ranks (gradc --ranks 2, the same global batch), trained alternately.
# A step's time is the training time the program logs for its steps (data
# loading, start-up and evaluation excluded) divided by the steps; the median
# of ROUNDS is kept.
#
#   bench/mpi_scaling.sh [GRADC] [ROUNDS]        (from the repository root)
#
# Prints one line per configuration: processes × threads, ms per step, and
# samples per second; then the time of one allreduce of the model's gradient
# buffer between 2 ranks alone (bench/mpi_allreduce.c, with mpicc). Configurations: 1 process with 1 and with 2 threads,
# 2 ranks with 1 thread each, bound to a core each (mpirun's default for 2
# ranks) and unbound (--bind-to none: the kernel may move a rank to whichever
# core is free, which matters when other work shares the machine).
set -euo pipefail
gradc=${1:-build/bin/gradc}
rounds=${2:-3}
steps=${STEPS:-400}
model=${MODEL:-examples/fashion_mlp.gc}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$gradc" "$model" -o "$work/one"
"$gradc" "$model" --ranks 2 -o "$work/two"
batch=$("$work/one" --help | sed -n 's/.*(batch \([0-9]*\).*/\1/p')

ms_per_step() { # log
  python3 -c "import json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
epoch = [r for r in records if r.get('record') == 'epoch']
print(sum(r['seconds'] for r in epoch) * 1000 / epoch[-1]['step'])" "$1"
}

run() { # name command...
  local name=$1
  shift
  rm -f "$work/$name.jsonl"
  "$@" --steps "$steps" --no-checkpoints --quiet --log "$work/$name.jsonl" >/dev/null
  ms_per_step "$work/$name.jsonl"
}

median() { python3 -c "import statistics, sys; print(statistics.median(map(float, sys.argv[1:])))" "$@"; }

declare -A times
configs=("1x1" "1x2" "2x1" "2x1-unbound")
for ((r = 0; r < rounds; ++r)); do
  times[1x1]+=" $(run 1x1 "$work/one" --threads 1)"
  times[1x2]+=" $(run 1x2 "$work/one" --threads 2)"
  times[2x1]+=" $(run 2x1 mpirun --oversubscribe -np 2 "$work/two" --threads 1)"
  times[2x1-unbound]+=" $(run 2x1u mpirun --oversubscribe --bind-to none -np 2 "$work/two" --threads 1)"
done
printf '%-22s %10s %12s\n' "processes x threads" ms/step samples/s
for config in "${configs[@]}"; do
  # shellcheck disable=SC2086
  ms=$(median ${times[$config]})
  label=${config/x/ x }
  printf '%-22s %10.3f %12.0f\n' "${label/-unbound/, unbound}" "$ms" \
    "$(python3 -c "print($batch * 1000 / $ms)")"
done
if command -v mpicc > /dev/null; then
  mpicc -O2 "$(dirname "$0")/mpi_allreduce.c" -o "$work/allreduce"
  floats=$("$gradc" "$model" --report=json | python3 -c "import json, sys
print(json.load(sys.stdin)['entry_points'][0]['grad_bytes'] // 4)")
  printf 'allreduce of the %s gradients (2 ranks): %s ms\n' "$floats" \
    "$(mpirun --oversubscribe -np 2 "$work/allreduce" "$floats")"
fi
