#!/usr/bin/env bash
# The README's path from PyTorch and back, on examples/onnx: export the
# module, compile the model that imports it, train, save, load the saved
# weights into the PyTorch module by name, and check that the module's
# predictions are the program's.
#   example.sh GRADC EXAMPLES_DIR WORK_DIR
set -euo pipefail
gradc=$1 examples=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
cp "$examples/onnx/resnet_small.gc" "$work/"
/usr/bin/python3 "$examples/onnx/resnet_small.py" "$work/resnet_small.onnx" 2> /dev/null
"$gradc" "$work/resnet_small.gc" -o "$work/resnet_small"
"$work/resnet_small" --steps 40 --save "$work/trained.safetensors" --quiet
/usr/bin/python3 - "$work/x.npy" <<'PY'
import gzip, struct, sys
import numpy as np
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    f.read(16)
    x = np.frombuffer(f.read(200 * 784), dtype=np.uint8).reshape(200, 1, 28, 28)
np.save(sys.argv[1], x.astype(np.float32) / np.float32(255))
PY
"$work/resnet_small" --predict "$work/x.npy" --out "$work/program.npy" \
  --load "$work/trained.safetensors"
/usr/bin/python3 "$examples/onnx/load_back.py" "$work/trained.safetensors" --images 200 \
  --out "$work/torch.npy" | tee "$work/load_back.out"
grep -q "test accuracy" "$work/load_back.out"
/usr/bin/python3 - "$work/program.npy" "$work/torch.npy" <<'PY'
import sys
import numpy as np
ours, theirs = np.load(sys.argv[1]), np.load(sys.argv[2])
assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
worst = float(np.max(np.abs(ours - theirs) / (1e-5 + 1e-4 * np.abs(theirs))))
print("predictions of the program and of the module with its weights: %.2f of the tolerance"
      % worst)
sys.exit(0 if worst <= 1 else 1)
PY
echo "onnx example: ok"
