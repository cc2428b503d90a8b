#!/usr/bin/env bash
# Compiles every model in examples/ and trains it for a few hundred steps from
# saved initial weights; the test loss must fall below its initial value.
#   train_examples.sh GRADC EXAMPLES_DIR WORK_DIR [STEPS]
set -euo pipefail
gradc=$1 examples=$2 work=$3 steps=${4:-200}
mkdir -p "$work"
passed=0 failed=0

# The test loss from a training program's final record of --log (CSV).
logged_test_loss() {
  python3 - "$1" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(rows[-1]["test_loss"])
PY
}

for model in "$examples"/*.gc; do
  name=$(basename "$model" .gc)
  program="$work/$name"
  "$gradc" "$model" -o "$program"
  "$program" --init-only --seed 3 --save "$work/$name.w0.safetensors" --quiet
  # --eval prints "test_loss L  test_<metric> M ... (N samples, T s)".
  before=$("$program" --eval --load "$work/$name.w0.safetensors" |
           sed -n 's/^test_loss \([^ ]*\).*/\1/p')
  "$program" --load "$work/$name.w0.safetensors" --seed 3 --steps "$steps" \
    --log "$work/$name.after.csv" --quiet
  after=$(logged_test_loss "$work/$name.after.csv")
  if python3 -c "import sys; sys.exit(0 if float('$after') < float('$before') else 1)"; then
    echo "PASS $name: test loss $before -> $after after $steps steps"
    passed=$((passed + 1))
  else
    echo "FAIL $name: test loss $before -> $after after $steps steps"
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
