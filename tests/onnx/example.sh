#!/usr/bin/env bash
# The README's path from PyTorch and back, on examples/onnx: export the
# module, compile the model that imports it, train, save, load the saved
# weights into the PyTorch module by name, and check that the module's
# predictions are the program's; for the ResNet-style CNN on Fashion-MNIST
# and the transformer encoder on the text corpus.
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

# The transformer encoder on the text corpus: export, compile, 20 steps,
# save, load into the module by name, the same logits as --predict.
mkdir -p "$work/tx/onnx" "$work/tx/data"
bash "$examples/../scripts/kjv-text" "$work/tx/data/kjv.txt" > /dev/null
cp "$examples/onnx/transformer_small.gc" "$work/tx/onnx/"
/usr/bin/python3 "$examples/onnx/transformer_small.py" "$work/tx/onnx/transformer_small.onnx" \
  > /dev/null 2>&1
"$gradc" "$work/tx/onnx/transformer_small.gc" -o "$work/tx/transformer_small"
(cd "$work/tx/onnx" && "$work/tx/transformer_small" --steps 20 --validation 0 \
   --save "$work/tx/trained.safetensors" --quiet)
/usr/bin/python3 - "$work/tx/data/kjv.txt" "$work/tx/ids.npy" <<'PY'
import sys
import numpy as np
text = open(sys.argv[1], encoding="utf-8").read()
index = {c: i for i, c in enumerate(sorted(set(text)))}  # the program's vocabulary
ids = [[index[c] for c in text[i * 32:(i + 1) * 32]] for i in range(20)]
np.save(sys.argv[2], np.array(ids, dtype=np.int32))
PY
"$work/tx/transformer_small" --predict "$work/tx/ids.npy" --out "$work/tx/program.npy" \
  --load "$work/tx/trained.safetensors"
/usr/bin/python3 "$examples/onnx/transformer_small.py" --load "$work/tx/trained.safetensors" \
  --ids "$work/tx/ids.npy" --out "$work/tx/torch.npy" 2> /dev/null
/usr/bin/python3 - "$work/tx/program.npy" "$work/tx/torch.npy" <<'PY'
import sys
import numpy as np
ours, theirs = np.load(sys.argv[1]), np.load(sys.argv[2])
assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
worst = float(np.max(np.abs(ours - theirs) / (1e-5 + 1e-4 * np.abs(theirs))))
print("transformer: logits of the program and of the module with its weights: %.2f of the "
      "tolerance" % worst)
sys.exit(0 if worst <= 1 else 1)
PY
echo "onnx example: ok"
