#!/usr/bin/env bash
# What saves a training program memory changes no value:
# - a weight gradient computed and applied a tile of rows at a time (gradc
#   -fno-step-gradients with a small --epilogue-tile-bytes: the [256, 784]
#   gradient of a 784-256-128-10 MLP in two tiles of 128 rows) trains to
#   bitwise the weights of the same program without fusion or memory
#   planning, and of one whose steps return their gradients;
# - --stream-data trains to bitwise the weights of a run from memory, and its
#   peak RSS is lower by most of the data set's size.
#   memory_features.sh GRADC RSS_LAUNCHER MODEL WORK_DIR
# MODEL: a model of [B, 784] inputs and 10 classes that takes its data from
# the command line (bench/models/mlp.gc).
set -euo pipefail
gradc=$1 rss=$2 model=$3 work=$4
rm -rf "$work"
mkdir -p "$work"

# 8192 Fashion-MNIST images as a float32 .npy file (25 088 KiB).
/usr/bin/python3 - "$work" <<'PY'
import gzip, sys, numpy as np
root = "/usr/share/datasets/fashion-mnist/"
def idx(name, count):
    data = gzip.open(root + name, "rb").read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)[:count]
np.save(sys.argv[1] + "/x.npy",
        (idx("train-images-idx3-ubyte.gz", 8192) / 255.0).astype(np.float32).reshape(8192, 784))
np.save(sys.argv[1] + "/y.npy", idx("train-labels-idx1-ubyte.gz", 8192).astype(np.int32))
PY
data=(--data "$work/x.npy" --labels "$work/y.npy")

"$gradc" "$model" -fno-step-gradients --epilogue-tile-bytes=1 --emit=cpp -o "$work/src"
tiles=$(cat "$work"/src/*.cpp | grep -c 'gradc::rt::gemmRows' || true)
if [ "$tiles" -lt 1 ]; then
  echo "tiled epilogue: no tiled product in the generated code"
  exit 1
fi
"$gradc" "$model" -fno-step-gradients --epilogue-tile-bytes=1 -o "$work/tiled"
"$gradc" "$model" -fno-fuse -fno-plan -o "$work/plain"
"$gradc" "$model" -o "$work/default"
"$work/plain" --init-only --seed 5 --save "$work/w0.safetensors" --quiet
for program in tiled plain default; do
  "$work/$program" "${data[@]}" --load "$work/w0.safetensors" --seed 5 --steps 40 \
    --no-checkpoints --save "$work/$program.safetensors" --quiet > /dev/null
done
cmp "$work/tiled.safetensors" "$work/plain.safetensors"
cmp "$work/tiled.safetensors" "$work/default.safetensors"
echo "tiled epilogue: $tiles tiled products, weights bitwise equal after 40 steps"

peak() { sed -n 's/^peak_rss_kib \([0-9]*\)$/\1/p' "$1"; }
for mode in memory stream; do
  flag=()
  [ "$mode" = stream ] && flag=(--stream-data)
  "$rss" "$work/default" "${data[@]}" --load "$work/w0.safetensors" --seed 5 --steps 200 \
    --no-checkpoints --quiet --save "$work/$mode.safetensors" "${flag[@]}" \
    2> "$work/$mode.rss" > /dev/null
done
cmp "$work/memory.safetensors" "$work/stream.safetensors"
saved=$(( $(peak "$work/memory.rss") - $(peak "$work/stream.rss") ))
# At least 3/4 of the 25 088 KiB of inputs must stay out of memory.
if [ "$saved" -lt 18816 ]; then
  echo "stream data: peak RSS only $saved KiB lower" \
       "($(peak "$work/memory.rss") vs $(peak "$work/stream.rss") KiB)"
  exit 1
fi
echo "stream data: weights bitwise equal, peak RSS $saved KiB lower"
echo "memory features: ok"
