#!/usr/bin/env bash
# The step-time gain of fusion and memory planning: each model compiled twice,
# as gradc compiles it and with -fno-fuse -fno-plan, then trained alternately.
# A step's time is (time of S2 steps − time of S1 steps) / (S2 − S1), so data
# loading and the final evaluation cancel out; the median of ROUNDS is kept.
#
#   bench/fusion.sh [GRADC] [ROUNDS]        (from the repository root)
#
# Prints one line per model: ms per step fused and unfused, and the speedup.
set -euo pipefail
gradc=${1:-build/bin/gradc}
rounds=${2:-3}
threads=${THREADS:-2}
s1=${S1:-40} s2=${S2:-240}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

seconds() { # program steps
  local start end
  start=$(date +%s.%N)
  "$1" --steps "$2" --threads "$threads" --quiet >/dev/null
  end=$(date +%s.%N)
  python3 -c "print($end - $start)"
}

median() { python3 -c "import statistics, sys; print(statistics.median(map(float, sys.argv[1:])))" "$@"; }

printf '%-14s %12s %12s %8s\n' model fused_ms unfused_ms speedup
for model in ${MODELS:-examples/fashion_mlp.gc examples/resmlp.gc}; do
  name=$(basename "$model" .gc)
  "$gradc" "$model" -o "$work/$name.fused"
  "$gradc" "$model" -fno-fuse -fno-plan -o "$work/$name.unfused"
  fused=() unfused=()
  for ((r = 0; r < rounds; ++r)); do
    for variant in fused unfused; do
      a=$(seconds "$work/$name.$variant" "$s1")
      b=$(seconds "$work/$name.$variant" "$s2")
      ms=$(python3 -c "print(($b - $a) * 1000 / ($s2 - $s1))")
      if [ "$variant" = fused ]; then fused+=("$ms"); else unfused+=("$ms"); fi
    done
  done
  f=$(median "${fused[@]}") u=$(median "${unfused[@]}")
  python3 -c "print('%-14s %12.3f %12.3f %7.2fx' % ('$name', $f, $u, $u / $f))"
done
