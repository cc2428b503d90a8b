#!/usr/bin/env bash
# End-to-end checks of a compiled training program's run machinery: resuming
# after kill -9 ends bitwise like an uninterrupted run, kills during checkpoint
# writes leave a loadable checkpoint, early stopping stops, NaN in the data is
# caught and named, --gradcheck, TensorBoard event files and SVG plots.
#   run.sh GRADC WORK_DIR
set -euo pipefail
gradc=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
check="/usr/bin/python3 $here/check_outputs.py"
rm -rf "$work" && mkdir -p "$work" && cd "$work"

"$gradc" "$here/moons_dropout.gc" -o prog
"$gradc" "$here/moons_dropout.gc" --emit=cpp -o cpp
generated=$(cat cpp/*.cpp cpp/*.h)
has() { grep -q "$1" <<<"$generated"; }

# --- resume after kill -9 ends bitwise like an uninterrupted run ---------------
# 800 training samples, 25 steps per epoch; 1500 steps end mid-epoch 60.
steps=1500
./prog --threads 1 --steps $steps --save whole.safetensors --log whole.jsonl --quiet
./prog --threads 1 --steps $steps --checkpoint-dir ckpt --checkpoint-every 40 \
  --log parts.jsonl --quiet > /dev/null &
pid=$!
until [ -f ckpt/checkpoint.safetensors ] || ! kill -0 $pid 2>/dev/null; do sleep 0.01; done
sleep 0.1
kill -9 $pid 2>/dev/null && killed=yes || killed=no
wait $pid 2>/dev/null || true
./prog --threads 1 --steps $steps --resume ckpt --save resumed.safetensors \
  --log parts.jsonl > resume.out
head -2 resume.out
cmp whole.safetensors resumed.safetensors
$check same-log whole.jsonl parts.jsonl
echo "PASS resume: killed mid-run: $killed; final weights are bitwise identical"

# --- kill -9 at random moments while checkpoints are written --------------------
for round in 1 2 3 4 5 6; do
  ./prog --threads 1 --steps 100000 --checkpoint-dir atomic --checkpoint-every 1 --quiet \
    > /dev/null &
  pid=$!
  sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
  kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  [ -f atomic/checkpoint.safetensors ] || continue
  step=$(/usr/bin/python3 -c "
import json, struct, sys
f = open('atomic/checkpoint.safetensors', 'rb')
n = struct.unpack('<Q', f.read(8))[0]
print(json.loads(f.read(n))['__metadata__']['step'])")
  # Loadable: resuming it for one more step succeeds.
  ./prog --threads 1 --resume atomic --steps $((step + 1)) --no-progress --quiet > /dev/null
done
echo "PASS atomic: every checkpoint left by kill -9 loads"

# --- early stopping -----------------------------------------------------------
./prog --epochs 300 --early-stopping val_accuracy:4 --save-best best.safetensors \
  --log stop.csv > stop.out
grep -q "early stopping: val_accuracy has not improved for 4 evaluations" stop.out
$check early-stopping stop.csv val_accuracy 4
test -s best.safetensors
echo "PASS early stopping"

# --- NaN in the data: caught, step and sample named -------------------------------
# (CSV files refuse NaN, so the data goes through .npy.)
/usr/bin/python3 -c "
import sys, numpy as np
data = np.loadtxt(sys.argv[1], delimiter=',', skiprows=1, dtype=np.float32)
x, y = data[:, :2].copy(), data[:, 2:].copy()
x[70, 0] = np.nan
np.save('nan_x.npy', x); np.save('y.npy', y)
" "$here/../../../examples/data/moons_train.csv"
set +e
./prog --data nan_x.npy --labels y.npy --validation 0 --no-shuffle --steps 10 2> nan.err
code=$?
set -e
cat nan.err
[ $code -eq 1 ]
# Sample 70 is in the third batch of 32 (samples 64..95): step 3.
grep -q "error: step 3 (epoch 1, batch 3 of 31): the loss is NaN" nan.err
grep -q "sample 70 of --data" nan.err
grep -q "learning rate too high" nan.err
if has "gradients()"; then
  grep -q "the first parameter whose gradient is not finite is dense_0.weight" nan.err
  echo "PASS numerics guard names the step, the parameter and the sample"
else
  echo "PASS numerics guard names the step and the sample (this gradc emits no gradients())"
fi
if has "setCheckNumerics"; then
  set +e
  ./prog --data nan_x.npy --labels y.npy --validation 0 --no-shuffle --steps 10 --check-numerics 2> check.err
  code=$?
  set -e
  cat check.err
  [ $code -eq 1 ]
  grep -q "error: step 3 (epoch 1, batch 3 of 31): .*moons_dropout.gc:[0-9]" check.err
  echo "PASS --check-numerics names the step and the model-file line"
else
  echo "SKIP --check-numerics: this gradc emits no setCheckNumerics()"
fi

# --- gradcheck -------------------------------------------------------------------
set +e
./prog --gradcheck > gradcheck.out 2>&1
code=$?
set -e
cat gradcheck.out
if has "lossGrad"; then
  [ $code -eq 0 ]
  grep -q "gradcheck passed" gradcheck.out
  grep -q "dense_0.weight \[32, 2\] f32: 8 entries, max abs error" gradcheck.out
  "$gradc" "$here/moons_dropout.gc" --f64 -o prog64
  ./prog64 --gradcheck --gradcheck-entries 4 > gradcheck64.out
  grep -q "dense_0.weight \[32, 2\] f64: 4 entries, max abs error" gradcheck64.out
  grep -q "gradcheck passed" gradcheck64.out
  echo "PASS gradcheck (f32 and f64)"
else
  [ $code -eq 1 ]
  grep -q "without a loss_grad entry point" gradcheck.out
  echo "SKIP gradcheck: this gradc emits no lossGrad()"
fi

# --- TensorBoard and plots ------------------------------------------------------
./prog --epochs 4 --tensorboard tb --log plot.csv --plot run.svg --quiet
$check tensorboard tb
$check svg run.svg loss val_loss test_loss accuracy val_accuracy test_accuracy
./prog --plot again.svg --from stop.csv
$check svg again.svg loss val_loss test_loss accuracy val_accuracy test_accuracy
echo "PASS tensorboard and plots"
echo "training run: ok"
