#!/usr/bin/python3
"""Loads weights a gradc program saved (--save W.safetensors) into the
PyTorch module they came from, by name, and evaluates it.

    /usr/bin/python3 examples/onnx/load_back.py W.safetensors [--images N] [--out P.npy]

Reads the safetensors file with numpy alone, calls load_state_dict on
resnet_small.py's module (every parameter and running statistic by its
name; only num_batches_tracked, which the exported graph does not hold,
stays the module's), and prints the module's test accuracy on the first N
Fashion-MNIST test images in evaluation mode; --out saves its logits.
"""
import argparse
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resnet_small import ResNetSmall  # noqa: E402

DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        size, = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype=DTYPES[entry["dtype"]]).reshape(
            entry["shape"])
    return tensors


def read_idx(path, count):
    with gzip.open(path, "rb") as f:
        magic, = struct.unpack(">I", f.read(4))
        dims = struct.unpack(">" + "I" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        shape = (min(count, dims[0]),) + dims[1:]
        return np.frombuffer(f.read(int(np.prod(shape))), dtype=np.uint8).reshape(shape)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("weights")
    parser.add_argument("--images", type=int, default=10000)
    parser.add_argument("--out", help="save the logits here (.npy)")
    args = parser.parse_args()
    module = ResNetSmall()
    weights = {k: torch.from_numpy(v.copy()) for k, v in read_safetensors(args.weights).items()}
    result = module.load_state_dict(weights, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
    if missing or result.unexpected_keys:
        sys.exit("the weights do not fit the module: missing %s, unexpected %s"
                 % (missing, result.unexpected_keys))
    root = "/usr/share/datasets/fashion-mnist/"
    x = read_idx(root + "t10k-images-idx3-ubyte.gz", args.images).astype(np.float32) / 255
    y = read_idx(root + "t10k-labels-idx1-ubyte.gz", args.images).astype(np.int64)
    module.eval()
    with torch.no_grad():
        logits = module(torch.from_numpy(x).reshape(-1, 1, 28, 28))
    accuracy = (logits.argmax(dim=1).numpy() == y).mean()
    print("loaded %d tensors into ResNetSmall; test accuracy %.4f on %d images"
          % (len(weights), accuracy, len(y)))
    if args.out:
        np.save(args.out, logits.numpy())


if __name__ == "__main__":
    main()
