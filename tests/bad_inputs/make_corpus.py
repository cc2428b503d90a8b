#!/usr/bin/env python3
"""make_corpus.py — writes tests/bad_inputs/files/ (committed): good data for
model.gc, and one file per kind of bad input that cases.txt feeds to its
program. Rerun it after changing a file's recipe here."""

import gzip
import json
import pathlib
import struct

FILES = pathlib.Path(__file__).resolve().parent / "files"


def write(name, data):
    (FILES / name).write_bytes(data if isinstance(data, bytes) else data.encode())


# --- IDX: 4 samples of 2x2 unsigned bytes, labels in [0, 3).
def idx(code, dims, payload):
    return bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


images = idx(0x08, [4, 2, 2], bytes(range(0, 160, 10)))
write("images-idx3-ubyte", images)
write("labels-idx1-ubyte", idx(0x08, [4], bytes([0, 1, 2, 1])))
write("images-idx3-ubyte.gz", gzip.compress(images, mtime=0))
write("truncated-data-idx3-ubyte", images[:26])
write("truncated-header-idx3-ubyte", images[:6])
write("trailing-bytes-idx3-ubyte", images + bytes(24))
write("huge-dims-idx3-ubyte", idx(0x08, [65536, 65536, 65536], b""))
write("wrong-magic-idx3-ubyte", b"\x08\x03\x00\x00" + images[4:])
write("three-labels-idx1-ubyte", idx(0x08, [3], bytes([0, 1, 2])))
write("label-7-idx1-ubyte", idx(0x08, [4], bytes([0, 1, 7, 1])))
compressed = gzip.compress(images, mtime=0)
write("truncated-images-idx3-ubyte.gz", compressed[: len(compressed) // 2])


# --- NPY
def npy(descr, shape, payload, fortran=False, header_pad=0):
    shape_text = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    header = (f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape_text}, }}"
              + " " * header_pad)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


write("inputs.npy", npy("<f4", [4, 2, 2], struct.pack("<16f", *[i / 16 for i in range(16)])))
write("labels.npy", npy("<i8", [4], struct.pack("<4q", 0, 1, 2, 0)))
write("wrong-magic.npy", b"\x93NUMPZ" + npy("<f4", [4, 4], bytes(64))[6:])
write("object-dtype.npy", npy("|O", [4], bytes(32)))
write("fortran-order.npy", npy("<f4", [4, 2, 2], bytes(64), fortran=True))
write("header-20000.npy", npy("<f4", [4, 2, 2], bytes(64), header_pad=20000 - 100))
write("shape-overflow.npy", npy("<f4", [4294967296, 4294967296, 16], b""))


# --- safetensors, as weights for model.gc: dense_0.weight [3, 4], dense_0.bias [3].
def safetensors(header, buffer, length=None):
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False)
    text += " " * ((8 - len(text) % 8) % 8)
    raw = text.encode("utf-8", "surrogateescape")
    return struct.pack("<Q", len(raw) if length is None else length) + raw + buffer


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


weights = {"dense_0.weight": entry("F32", [3, 4], 0, 48), "dense_0.bias": entry("F32", [3], 48, 60)}
write("header-past-eof.safetensors", safetensors(weights, bytes(60), length=1000)[:200])
write("overlap.safetensors", safetensors(
    {"dense_0.weight": entry("F32", [3, 4], 0, 48), "dense_0.bias": entry("F32", [3], 40, 52)},
    bytes(52)))
write("offsets-out-of-range.safetensors", safetensors(
    {"dense_0.weight": entry("F32", [3, 4], 0, 48), "dense_0.bias": entry("F32", [3], 48, 6000)},
    bytes(60)))
write("dtype-size-mismatch.safetensors", safetensors(
    {"dense_0.weight": entry("F64", [3, 4], 0, 48), "dense_0.bias": entry("F32", [3], 48, 60)},
    bytes(60)))
write("non-utf8-name.safetensors", safetensors(
    {"dense_0.weight": entry("F32", [3, 4], 0, 48), "dense_0.bias\udcff": entry("F32", [3], 48, 60)},
    bytes(60)))


# --- CSV: four feature columns and a label column y (the last).
write("data.csv", "a,b,c,d,y\n0,0.1,0.2,0.3,0\n1,1.1,1.2,1.3,1\n2,2.1,2.2,2.3,2\n")
write("ragged.csv", "a,b,c,d,y\n0,0.1,0.2,0.3,0\n1,1.1,1.2,1\n2,2.1,2.2,2.3,2\n")
write("not-a-number.csv", "a,b,c,d,y\n0,0.1,0.2,0.3,0\n1,abc,1.2,1.3,1\n")
write("nan.csv", "a,b,c,d,y\n0,0.1,0.2,0.3,0\n1,1.1,NaN,1.3,1\n")
write("inf.csv", "a,b,c,d,y\n0,0.1,0.2,0.3,0\n1,1.1,1.2,-inf,1\n")
write("empty.csv", "")
