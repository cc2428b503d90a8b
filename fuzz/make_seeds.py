#!/usr/bin/env python3
"""make_seeds.py — writes the seed corpora under fuzz/corpus/ (committed).

    fuzz/make_seeds.py GRADC

Seeds are small well-formed inputs, one per feature worth reaching: every IDX
element type, raw and gzip; every NPY dtype, byte order and version; CSV tables
under each option byte of csv_fuzzer.cpp; safetensors files of every dtype;
a checkpoint and a weights file of the checkpoint fuzzer's model; the model
files of examples/ and tests/; and the nn dialect of models as gradc prints it.
"""

import gzip
import json
import pathlib
import struct
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"


def write(kind, name, data):
    path = CORPUS / kind / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


# --- IDX: byte 0 of a seed is idx_fuzzer's mode (0: as is, 1: gzip the rest).
def idx(code, dims, values, fmt):
    header = bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    return header + b"".join(struct.pack(">" + fmt, v) for v in values)


idx_files = {
    "u8-images": idx(0x08, [3, 2, 2], range(12), "B"),
    "u8-labels": idx(0x08, [3], [0, 9, 1], "B"),
    "i8": idx(0x09, [2, 2], [-128, -1, 0, 127], "b"),
    "i16": idx(0x0B, [2, 3], [-32768, -1, 0, 1, 2, 32767], "h"),
    "i32": idx(0x0C, [4], [-(2**31), -1, 0, 2**31 - 1], "i"),
    "f32": idx(0x0D, [2, 1, 2], [0.5, -1.0, 3.25, 1e-3], "f"),
    "f64": idx(0x0E, [1, 3], [0.1, -2.5, 1e300], "d"),
    "empty": idx(0x08, [0, 28, 28], [], "B"),
}
for name, data in idx_files.items():
    write("idx", name + ".raw", b"\x00" + data)
    write("idx", name + ".gzip-mode", b"\x01" + data)
write("idx", "u8-images.gz", b"\x00" + gzip.compress(idx_files["u8-images"], mtime=0))


# --- NPY
def npy(descr, shape, payload, version=1):
    shape_text = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}"
    length_bytes = 2 if version == 1 else 4
    pad = (64 - (10 + length_bytes - 2 + len(header) + 1) % 64) % 64
    header = header + " " * pad + "\n"
    length = struct.pack("<H" if version == 1 else "<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header.encode() + payload


write("npy", "f4.npy", npy("<f4", [2, 3], struct.pack("<6f", 1, 2, 3, 4, 5, 6)))
write("npy", "f8-big.npy", npy(">f8", [3], struct.pack(">3d", 0.5, -1, 2)))
write("npy", "i4-big.npy", npy(">i4", [2, 2], struct.pack(">4i", 0, 1, 2, -3)))
write("npy", "i8.npy", npy("<i8", [4], struct.pack("<4q", 0, 1, 2, 2)))
write("npy", "u1.npy", npy("|u1", [4, 1, 2], bytes(range(8))))
write("npy", "v2.npy", npy("<f4", [1, 2], struct.pack("<2f", 1, 2), version=2))
write("npy", "scalar.npy", npy("<f8", [], struct.pack("<d", 3.0)))
write("npy", "empty.npy", npy("<f4", [0, 5], b""))


# --- CSV: byte 0 is csv_fuzzer's option byte.
def csv(options, text):
    return bytes([options]) + text.encode()


write("csv", "header-last-y.csv", csv(0b0000111, "a,b,y\n1,2.5,0\n-3,4e-2,1\n"))
write("csv", "header-first.csv", csv(0b0000011, "label,x1,x2\n2,0.1,0.2\n3,0.3,0.4\n"))
write("csv", "no-header.csv", csv(0b0000000, "1,2,3\n4,5,6\n"))
write("csv", "index-2-i32.csv", csv(0b0010100, "0.5,1,1\n0.25,2,0\n"))
write("csv", "f64-targets.csv", csv(0b0111111, "\ufeffx,y\r\n+1.5 , -2\r\n 3,4 \r\n\r\n"))
write("csv", "f32-labels.csv", csv(0b0101001, "x,z,y\n1,2,3.5\n"))


# --- safetensors
def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, bytes), laid out in order."""
    header, offset, data = {}, 0, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, payload in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [offset, offset + len(payload)]}
        offset += len(payload)
        data += payload
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text.encode() + data


write("safetensors", "every-dtype.safetensors", safetensors([
    ("a.f64", "F64", [2], struct.pack("<2d", 1, -1)),
    ("b.i64", "I64", [1], struct.pack("<q", 7)),
    ("c.f32", "F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)),
    ("d.i32", "I32", [], struct.pack("<i", -5)),
    ("e.u8", "U8", [3], bytes([1, 2, 3])),
], {"format": "pt"}))
write("safetensors", "empty-tensor.safetensors", safetensors([("z", "F32", [0, 4], b"")]))
write("safetensors", "no-tensors.safetensors", safetensors([], {"k": "v"}))
write("safetensors", "unicode-name.safetensors",
      safetensors([("gewicht.\u00e4\u4e2d", "F32", [1], struct.pack("<f", 2))]))


# --- checkpoint and weights of checkpoint_fuzzer.cpp's model:
# SoftmaxRegression(features 3, classes 2) from tests/runtime/trainer_test_models.h.
def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


weight = struct.pack("<6f", 0.1, -0.2, 0.3, -0.4, 0.5, -0.6)
bias = struct.pack("<2f", 0.01, -0.01)
momentum = struct.pack("<6f", 0, 0, 0, 0, 0, 0.125)
buffers = [("dense_0.bias", bias, [2]), ("dense_0.weight", weight, [2, 3]),
           ("dense_0.weight.momentum", momentum, [2, 3])]
write("checkpoint", "checkpoint.safetensors", safetensors(
    [(name, "F32", shape, data) for name, data, shape in buffers],
    {"format": "gradc-checkpoint", "version": "1", "model": "SoftmaxRegression",
     "fingerprint": "", "step": "5",
     "crc32c": json.dumps({name: crc32c(data) for name, data, _ in buffers},
                          separators=(",", ":"))}))
write("checkpoint", "weights.safetensors", safetensors(
    [(name, "F32", shape, data) for name, data, shape in buffers[:2]],
    {"format": "pt", "model": "SoftmaxRegression"}))


# --- model files, and the nn dialect gradc makes of some of them.
models = sorted(ROOT.glob("examples/*.gc")) + sorted(ROOT.glob("tests/e2e/models/*.gc")) + \
    sorted(ROOT.glob("tests/lit/frontend/*.gc")) + sorted(ROOT.glob("tests/lit/frontend/errors/*.gc"))
for model in models:
    prefix = model.parent.relative_to(ROOT).as_posix().replace("/", "-")
    write("model", f"{prefix}-{model.name}", model.read_bytes())

if len(sys.argv) > 1:
    gradc = sys.argv[1]
    for model in ["examples/fashion_lenet.gc", "examples/resmlp.gc", "examples/moons_classifier.gc",
                  "tests/e2e/models/bce_layernorm.gc", "tests/e2e/models/sequence_huber.gc",
                  "tests/e2e/models/mlp_dropout_freeze.gc"]:
        nn = subprocess.run([gradc, str(ROOT / model), "--emit=nn", "--batch=4"],
                            check=True, capture_output=True).stdout
        write("mlir", pathlib.Path(model).stem + ".nn.mlir", nn)
