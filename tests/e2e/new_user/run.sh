#!/usr/bin/env bash
# End-to-end checks of what a new user meets first: data that does not fit
# the model is refused with the way out (channels-last images, one-hot
# labels), integer pixels are scaled from every source, CSV columns are matched
# by name, --predict takes the training layout and writes .npy or .csv (or
# classes), checkpoints serve as weights, the fingerprint ignores run settings,
# and output piped to a file arrives line by line.
#   run.sh GRADC WORK_DIR
set -euo pipefail
gradc=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
python=/usr/bin/python3
check="$python $here/check.py"
rm -rf "$work" && mkdir -p "$work" && cd "$work"
$python "$here/make_data.py" "$work" "$root/examples/data/friedman1_test.csv"
cp "$here/images.gc" .
"$gradc" images.gc -o images

fails() { # fails EXPECTED-SUBSTRING COMMAND...: the command exits 1 naming it
  local want=$1 status=0
  shift
  "$@" > fail.out 2> fail.err || status=$?
  if [ "$status" -ne 1 ] || ! grep -qF -- "$want" fail.err; then
    echo "FAIL: $* exited $status, stderr:"; cat fail.err; echo "wanted: $want"; exit 1
  fi
}

# --- sample shapes: channels-last images are refused, then read with --layout ---
./images --quiet --save idx.safetensors
fails 'input samples are [4, 4, 3], but the model'"'"'s input is [3, 4, 4]; they look channels-last' \
  ./images --data x_nhwc_u8.npy --labels y.npy --quiet
./images --data x_nhwc_u8.npy --labels y.npy --layout nhwc --quiet --save nhwc.safetensors
cmp idx.safetensors nhwc.safetensors
# u8 pixels are kept as u8 and scaled as batches are gathered: training ends
# bitwise as on the same values stored scaled in f32.
./images --data x_nchw_f32.npy --labels y.npy --quiet --save f32.safetensors
cmp idx.safetensors f32.safetensors
fails 'labels hold 3 values per sample, one-hot or probabilities' \
  ./images --data x_nchw_u8.npy --labels y_onehot.npy --quiet
echo "PASS layout: NHWC refused with the hint, --layout nhwc trains bitwise as the IDX data"

# --- scale: uint8 .npy pixels are scaled like the IDX ones; floats are taken as they are
./images --load idx.safetensors --predict images-idx4-ubyte --out from_idx.npy --quiet
./images --load idx.safetensors --predict x_nchw_u8.npy --out from_u8.npy --quiet
./images --load idx.safetensors --predict x_nchw_f32.npy --out from_f32.npy --quiet
$check same-npy from_idx.npy from_u8.npy
$check same-npy from_idx.npy from_f32.npy

# --- values the model's ops need: bce targets in [0, 1], embedding ids below its rows
"$gradc" "$here/pixels_autoencoder.gc" -o pixels
fails 'x_nchw_u8.npy: input value 254 of sample 0 (element 0) is outside [0, 1], the range of the targets of bce_with_logits (pixels_autoencoder.gc:10) (the file holds u8 values, scaled by 1: does the data source need a scale?)' \
  ./pixels --data x_nchw_u8.npy --quiet
./pixels --data x_nchw_f32.npy --quiet --save pixels.safetensors
./pixels --load pixels.safetensors --predict x_nchw_f32.npy --out reconstructed.npy --quiet
"$gradc" "$here/bag.gc" -o bag
./bag --data ids.npy --labels y.npy --quiet
fails 'ids_bad.npy: input value 5 of sample 41 (element 2) is outside [0, 5), the range of the ids of embedding_0 (bag.gc:7, 5 rows)' \
  ./bag --data ids_bad.npy --labels y.npy --quiet
echo "PASS values: u8 pixels as bce targets and an id past the embedding are refused at load"

# --- predictions as .npy, .csv and classes ---------------------------------------
./images --load idx.safetensors --predict x_nchw_u8.npy --predict-classes --out classes.npy \
  --quiet
./images --load idx.safetensors --predict x_nchw_u8.npy --predict-classes --out classes.csv \
  --quiet
$check classes from_u8.npy classes.npy classes.csv

# --- a checkpoint serves as weights ----------------------------------------------
./images --quiet --checkpoint-dir ckpt > /dev/null
./images --load ckpt/checkpoint.safetensors --eval --test images-idx4-ubyte \
  --test-labels labels-idx1-ubyte > eval_ckpt.out
./images --load idx.safetensors --eval --test images-idx4-ubyte \
  --test-labels labels-idx1-ubyte > eval_weights.out
cmp eval_ckpt.out eval_weights.out
echo "PASS checkpoint: --load takes it, and evaluates as the weights saved with it"

# --- CSV columns by name, and --predict on the training layout -------------------
"$gradc" "$root/examples/friedman_mlp.gc" -o friedman
./friedman --steps 40 --save friedman.safetensors > train.out
grep -q "^epoch 2/2 (9 of 31 batches)  loss" train.out || { cat train.out; exit 1; }
./friedman --load friedman.safetensors --eval --test "$root/examples/data/friedman1_test.csv" \
  > eval_ordered.out
./friedman --load friedman.safetensors --eval --test shuffled.csv > eval_shuffled.out
[ "$(tail -1 eval_ordered.out)" = "$(tail -1 eval_shuffled.out)" ] ||
  { echo "FAIL: shuffled columns evaluate differently"; cat eval_*.out; exit 1; }
./friedman --load friedman.safetensors --predict "$root/examples/data/friedman1_test.csv" \
  --out training_layout.csv --quiet
./friedman --load friedman.safetensors --predict features.csv --out features_only.csv --quiet
./friedman --load friedman.safetensors --predict shuffled.csv --out shuffled_pred.csv --quiet
$check same-csv training_layout.csv features_only.csv 250
$check same-csv training_layout.csv shuffled_pred.csv 250
sed '1s/x10/x11/' shuffled.csv > renamed.csv
fails "no column named 'x10'; the model was trained on the columns x1, x2" \
  ./friedman --load friedman.safetensors --eval --test renamed.csv
echo "PASS csv: columns matched by name in evaluation and prediction"

# --- the fingerprint covers the computation, not the run's defaults --------------
mkdir -p elsewhere/data
cp "$root/examples/data/friedman1_train.csv" "$root/examples/data/friedman1_test.csv" \
  elsewhere/data/
sed 's/epochs 100/epochs 300/' "$root/examples/friedman_mlp.gc" > elsewhere/friedman_mlp.gc
"$gradc" elsewhere/friedman_mlp.gc -o friedman300
./friedman --steps 20 --checkpoint-dir resume --quiet > /dev/null
./friedman300 --steps 40 --resume resume --quiet > /dev/null
sed 's/adam(lr: 3e-3)/adam(lr: 3e-3, beta1: 0.8)/' "$root/examples/friedman_mlp.gc" \
  > elsewhere/friedman_beta.gc
"$gradc" elsewhere/friedman_beta.gc -o friedman_beta
fails "optimizer.beta1 0.90000000000000002 there, 0.80000000000000004 here" \
  ./friedman_beta --steps 60 --resume resume --quiet
echo "PASS fingerprint: resumed across epochs and folders; another beta1 is named"

# --- output piped to a file arrives line by line ---------------------------------
# A Fashion-MNIST epoch takes about a second and prints one line: under block
# buffering the first line would reach the file only some 40 epochs later.
"$gradc" "$root/examples/fashion_mlp.gc" -o fashion
./fashion --epochs 1000 --threads 1 --no-checkpoints > piped.out 2> piped.err &
pid=$!
for _ in $(seq 300); do
  grep -q "^epoch 1/1000" piped.out && break
  sleep 0.1
done
alive=no
kill -0 $pid 2>/dev/null && alive=yes
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
if ! grep -q "^epoch 1/1000" piped.out || [ $alive != yes ]; then
  echo "FAIL: the first epoch line did not reach the file while the run went on"
  cat piped.out piped.err
  exit 1
fi
echo "PASS output: epoch lines reach a file as they are printed"
echo "new user: ok"
