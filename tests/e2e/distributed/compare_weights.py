#!/usr/bin/env python3
"""compare_weights.py A.safetensors B.safetensors [--max-rel X | --bitwise]

Compares every tensor of two safetensors files (read here with struct, json
and numpy, not with gradc): the same names, dtypes and shapes, and values
whose largest difference relative to the tensor's largest magnitude is at
most --max-rel (or bitwise equal bytes with --bitwise). Prints the worst
tensor and exits 1 on any difference beyond that.
"""
import argparse
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64}


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = body[begin:end]
        tensors[name] = (entry["dtype"], tuple(entry["shape"]), raw)
    return tensors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--max-rel", type=float, default=0.0)
    parser.add_argument("--bitwise", action="store_true")
    args = parser.parse_args()
    a, b = read(args.a), read(args.b)
    if sorted(a) != sorted(b):
        print(f"different tensors: {sorted(a)} vs {sorted(b)}")
        return 1
    worst_name, worst = None, 0.0
    for name in sorted(a):
        (dtype_a, shape_a, raw_a), (dtype_b, shape_b, raw_b) = a[name], b[name]
        if (dtype_a, shape_a) != (dtype_b, shape_b):
            print(f"{name}: {dtype_a}{list(shape_a)} vs {dtype_b}{list(shape_b)}")
            return 1
        if args.bitwise:
            if raw_a != raw_b:
                print(f"{name}: the bytes differ")
                return 1
            continue
        x = np.frombuffer(raw_a, DTYPES[dtype_a]).astype(np.float64)
        y = np.frombuffer(raw_b, DTYPES[dtype_b]).astype(np.float64)
        scale = max(np.max(np.abs(x)), np.max(np.abs(y)), 1e-30)
        rel = float(np.max(np.abs(x - y)) / scale) if x.size else 0.0
        if rel >= worst:
            worst_name, worst = name, rel
    if args.bitwise:
        print(f"{len(a)} tensors bitwise equal")
        return 0
    print(f"{len(a)} tensors; largest relative difference {worst:.3g} ({worst_name})")
    return 0 if worst <= args.max_rel else 1


if __name__ == "__main__":
    sys.exit(main())
