#!/usr/bin/python3
"""make_onnx_corpus.py — writes the malformed and unsupported ONNX files of
tests/bad_inputs/files/ (committed) that cases.txt's compile cases import
into onnx_model.gc (one input x: f32[B, 4]). Needs python3-onnx; rerun it
after changing a file's recipe here."""

import pathlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FILES = pathlib.Path(__file__).resolve().parent / "files"
X = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])


def y(*shape):
    return helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", *shape])


def model(nodes, initializers=(), opset=17, inputs=(X,), outputs=None):
    graph = helper.make_graph(nodes, "bad", list(inputs), outputs or [y(4)], list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def write(name, m, check=True):
    if check:
        onnx.checker.check_model(m)
    (FILES / name).write_bytes(m.SerializeToString())


relu = model([helper.make_node("Relu", ["x"], ["y"], name="relu")])
good = relu.SerializeToString()
(FILES / "not-protobuf.onnx").write_bytes(b"this is not a protobuf message\xff\xff\xff")
(FILES / "truncated.onnx").write_bytes(good[: len(good) - 9])
write("opset11.onnx", model([helper.make_node("Relu", ["x"], ["y"], name="relu")], opset=11))
write("unsupported-ops.onnx",
      model([helper.make_node("Hardmax", ["x"], ["a"], name="hm1"),
             helper.make_node("Hardmax", ["a"], ["b"], name="hm2"),
             helper.make_node("Round", ["b"], ["y"], name="round")]))
write("dangling-input.onnx", model([helper.make_node("Add", ["x", "nowhere"], ["y"], name="add")]),
      check=False)

# An initializer whose raw data is shorter than its shape needs.
short = numpy_helper.from_array(np.ones((4,), np.float32), "w")
short.raw_data = short.raw_data[:10]
write("short-initializer.onnx", model([helper.make_node("Mul", ["x", "w"], ["y"], name="mul")],
                                      [short]), check=False)

# An initializer declaring 2^42 elements (with 16 bytes of data).
huge = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 40, 4],
                   raw_data=b"\0" * 16)
write("huge-initializer.onnx", model([helper.make_node("Mul", ["x", "w"], ["y"], name="mul")],
                                     [huge]), check=False)

# Weights kept in a file next to the model.
external = numpy_helper.from_array(np.ones((4,), np.float32), "w")
external.ClearField("raw_data")
external.data_location = TensorProto.EXTERNAL
entry = external.external_data.add()
entry.key, entry.value = "location", "weights.bin"
write("external-data.onnx", model([helper.make_node("Mul", ["x", "w"], ["y"], name="mul")],
                                  [external]), check=False)

# A ConstantOfShape far beyond what a compile-time value may hold.
shape = numpy_helper.from_array(np.array([1 << 23, 4], np.int64), "shape")
write("huge-constant.onnx",
      model([helper.make_node("ConstantOfShape", ["shape"], ["c"], name="zeros",
                              value=numpy_helper.from_array(np.array([0], np.float32))),
             helper.make_node("Add", ["x", "c"], ["y"], name="add")],
            [shape]),
      check=False)

# A bidirectional LSTM over x viewed as [T=batch, 1, 4].
hidden = 3
lstm_w = numpy_helper.from_array(np.zeros((2, 4 * hidden, 4), np.float32), "W")
lstm_r = numpy_helper.from_array(np.zeros((2, 4 * hidden, hidden), np.float32), "R")
write("bidirectional-lstm.onnx",
      model([helper.make_node("Unsqueeze", ["x", "one"], ["seq"], name="unsqueeze"),
             helper.make_node("LSTM", ["seq", "W", "R"], ["y"], name="/rnn/LSTM",
                              hidden_size=hidden, direction="bidirectional")],
            [lstm_w, lstm_r, numpy_helper.from_array(np.array([1], np.int64), "one")],
            outputs=[helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 2, 1, 3])]))

# Two outputs, which one call cannot give.
write("two-outputs.onnx",
      model([helper.make_node("Relu", ["x"], ["y"], name="relu"),
             helper.make_node("Neg", ["x"], ["z"], name="neg")],
            outputs=[y(4), helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 4])]))
