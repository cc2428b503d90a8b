#!/usr/bin/env bash
# A weight gradient computed and applied a tile of rows at a time (gradc
# -fno-step-gradients with a small --epilogue-tile-bytes: fashion_mlp's
# [256, 784] gradient in two tiles of 128 rows) trains to bitwise the weights
# of the same program without fusion or memory planning, and of one whose
# steps return their gradients.
#   tiled_epilogue.sh GRADC MODEL WORK_DIR
set -euo pipefail
gradc=$1 model=$2 work=$3
rm -rf "$work"
mkdir -p "$work"

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
  "$work/$program" --load "$work/w0.safetensors" --seed 5 --steps 40 --no-checkpoints \
    --save "$work/$program.safetensors" --quiet
done
cmp "$work/tiled.safetensors" "$work/plain.safetensors"
cmp "$work/tiled.safetensors" "$work/default.safetensors"
echo "tiled epilogue: ok ($tiles tiled products, weights bitwise equal after 40 steps)"
