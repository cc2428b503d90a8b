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
  eval_flags=() train_flags=()
  if grep -q 'data text(' "$model"; then
    # A language model of the King James Bible (examples/data/kjv.txt, made
    # once): its test text is the Bible's last 64 KiB, and no validation
    # windows are held out for these few steps.
    "$examples/../scripts/kjv-text" > /dev/null
    tail -c 65536 "$examples/data/kjv.txt" > "$work/$name.test.txt"
    eval_flags=(--test "$work/$name.test.txt")
    train_flags=(--test "$work/$name.test.txt" --validation 0)
  fi
  "$gradc" "$model" -o "$program"
  "$program" --init-only --seed 3 --save "$work/$name.w0.safetensors" --quiet
  # --eval prints "test_loss L  test_<metric> M ... (N samples, T s)".
  before=$("$program" --eval --load "$work/$name.w0.safetensors" "${eval_flags[@]}" |
           sed -n 's/^test_loss \([^ ]*\).*/\1/p')
  "$program" --load "$work/$name.w0.safetensors" --seed 3 --steps "$steps" \
    --log "$work/$name.after.csv" --quiet "${train_flags[@]}"
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
