#!/usr/bin/python3
"""scripts/torch-to-safetensors against PyTorch: state_dicts saved with
torch.save (float32, float64, int64, bool, a transposed view, an empty
tensor, batch-norm buffers) come out with the same names, dtypes, shapes and
bytes; --drop leaves out what it matches; a pickled module (code, not a
state_dict) and a file that is no zip are refused with an error and exit 1,
writing nothing.

    torch_to_safetensors_test.py SCRIPT WORK_DIR
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "BOOL": np.bool_}


def read_safetensors(path):
    with open(path, "rb") as f:
        size, = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        data = f.read()
    return {name: np.frombuffer(data[e["data_offsets"][0]:e["data_offsets"][1]],
                                dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
            for name, e in header.items() if name != "__metadata__"}


script, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
failures = []


def convert(source, out, *flags):
    return subprocess.run(["/usr/bin/python3", script, source, out, *flags],
                          capture_output=True, text=True)


torch.manual_seed(0)
module = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(12, 2))
state = dict(module.state_dict())
state["extra.transposed"] = torch.arange(12, dtype=torch.float64).reshape(3, 4).t()
state["extra.flags"] = torch.tensor([True, False, True])
state["extra.empty"] = torch.zeros(0, 5)
source = os.path.join(work, "state.pt")
torch.save(state, source)
out = os.path.join(work, "state.safetensors")
result = convert(source, out)
if result.returncode != 0:
    failures.append("conversion failed: " + result.stderr)
else:
    got = read_safetensors(out)
    if sorted(got) != sorted(state):
        failures.append("names %s, expected %s" % (sorted(got), sorted(state)))
    for name, tensor in state.items():
        want = tensor.numpy()
        have = got.get(name)
        if have is None or have.dtype != want.dtype or have.shape != want.shape or \
                not np.array_equal(have, want):
            failures.append("%s differs: %r against %r" % (name, have, want))

dropped = os.path.join(work, "dropped.safetensors")
result = convert(source, dropped, "--drop", "*.num_batches_tracked", "--drop", "extra.*")
if result.returncode != 0 or "(4 dropped)" not in result.stdout:
    failures.append("--drop: %s %s" % (result.stdout, result.stderr))
elif any(k.endswith("num_batches_tracked") or k.startswith("extra.")
         for k in read_safetensors(dropped)):
    failures.append("--drop kept a matching tensor")

whole = os.path.join(work, "whole.pt")
torch.save(module, whole)
for bad, message in [(whole, "which a state_dict does not (only tensors are read)"),
                     (script, "not a zip file")]:
    target = os.path.join(work, "refused.safetensors")
    result = convert(bad, target)
    if result.returncode != 1 or message not in result.stderr or os.path.exists(target):
        failures.append("%s: exit %d, %s" % (bad, result.returncode, result.stderr.strip()))

for failure in failures:
    print("FAIL: " + failure)
print("torch-to-safetensors: %s" % ("ok" if not failures else "%d failures" % len(failures)))
sys.exit(1 if failures else 0)
