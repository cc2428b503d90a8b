#!/usr/bin/python3
"""Writes the small ONNX files the lit tests of tests/lit/onnx import, into DIR."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]


def save(name, nodes, inputs, outputs, initializers=(), opset=17, check=True):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))


x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])
w = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(3, 4) / 8, "fc.weight")
b = numpy_helper.from_array(np.array([0.5, -1, 2], dtype=np.float32), "fc.bias")

# torch.nn.Linear then ReLU, as torch.onnx.export writes them.
save("gemm", [helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["h"], name="/fc/Gemm",
                               transB=1),
              helper.make_node("Relu", ["h"], ["y"], name="/relu/Relu")],
     [x], [y], [w, b])

# Op types the importer lacks: all of them are listed, with their nodes.
xi = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
save("unsupported",
     [helper.make_node("Hardmax", ["x"], ["a"], name="hm1"),
      helper.make_node("Hardmax", ["a"], ["b"], name="hm2"),
      helper.make_node("Round", ["b"], ["c"], name="round"),
      helper.make_node("Relu", ["c"], ["y"], name="relu")],
     [xi], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])])

# Dropout as torch.onnx exports it from a module in training mode (ratio and
# training_mode as constant inputs), and one exported in evaluation mode.
ratio = numpy_helper.from_array(np.array(0.25, dtype=np.float32), "ratio")
train = numpy_helper.from_array(np.array(True), "train")
save("dropout", [helper.make_node("Dropout", ["x", "ratio", "train"], ["y"], name="/drop/Dropout")],
     [xi], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])], [ratio, train])
off = numpy_helper.from_array(np.array(False), "train")
save("dropout_eval", [helper.make_node("Dropout", ["x", "ratio", "train"], ["y"],
                                       name="/drop/Dropout")],
     [xi], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])], [ratio, off])

# An opset outside 13 to 17.
save("opset11", [helper.make_node("Relu", ["x"], ["y"], name="relu")], [xi],
     [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])], opset=11)

# A node that reads a value nothing defines: the checker refuses it.
save("dangling", [helper.make_node("Add", ["x", "nowhere"], ["y"], name="add")], [xi],
     [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])], check=False)

# Not a protobuf message at all.
with open(os.path.join(out, "garbage.onnx"), "wb") as f:
    f.write(b"\x0a\xff\xff\xff\xff\x0f this is not an ONNX model")

# Inputs and outputs of gemm.onnx for check-import, computed here with numpy:
# relu(x · Wᵀ + b), and the same with one element off by 0.01.
xs = np.linspace(-1, 1, 5 * 4, dtype=np.float32).reshape(5, 4)
ys = np.maximum(xs @ numpy_helper.to_array(w).T + numpy_helper.to_array(b), 0)
np.save(os.path.join(out, "gemm_x.npy"), xs)
np.save(os.path.join(out, "gemm_y.npy"), ys.astype(np.float32))
wrong = ys.astype(np.float32).copy()
wrong[3, 2] += 0.01
np.save(os.path.join(out, "gemm_y_wrong.npy"), wrong)

# GELU as torch.onnx.export writes F.gelu (one nn.gelu), and the ops of masks
# and slices: Greater, Not(Equal), Where, Slice, Split, Expand, ReduceMax.
def const(name, value, dtype=np.float32):
    return helper.make_node("Constant", [], [name], name=name,
                            value=numpy_helper.from_array(np.array(value, dtype=dtype), name))


x8 = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])
save("gelu", [const("sqrt2", 1.4142135381698608), const("one", 1.0), const("half", 0.5),
              helper.make_node("Div", ["x", "sqrt2"], ["d"], name="/act/Div"),
              helper.make_node("Erf", ["d"], ["e"], name="/act/Erf"),
              helper.make_node("Add", ["e", "one"], ["p"], name="/act/Add"),
              helper.make_node("Mul", ["x", "p"], ["m"], name="/act/Mul"),
              helper.make_node("Mul", ["m", "half"], ["y"], name="/act/Mul_1")],
     [x8], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])])
ints = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)
save("masks",
     [const("zero", 0.0),
      helper.make_node("Greater", ["x", "zero"], ["pos"], name="/gt"),
      helper.make_node("Equal", ["x", "zero"], ["eq"], name="/eq"),
      helper.make_node("Not", ["eq"], ["ne"], name="/not"),
      helper.make_node("Where", ["pos", "x", "zero"], ["relu"], name="/where"),
      helper.make_node("Cast", ["ne"], ["nef"], name="/cast", to=TensorProto.FLOAT),
      helper.make_node("Add", ["relu", "nef"], ["s"], name="/add"),
      helper.make_node("Slice", ["s", "starts", "ends", "axes"], ["tail"], name="/slice"),
      helper.make_node("Split", ["tail", "parts"], ["a", "b"], name="/split", axis=1),
      helper.make_node("ReduceMax", ["a"], ["amax"], name="/max", axes=[1], keepdims=1),
      helper.make_node("Expand", ["amax", "shape"], ["wide"], name="/expand"),
      helper.make_node("Sub", ["b", "wide"], ["y"], name="/sub")],
     [x8], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
     [ints("starts", [-6]), ints("ends", [9223372036854775807]),  # torch: to the end
      ints("axes", [1]), ints("parts", [2, 4]),
      ints("shape", [1, 4])])

# A parameter reaching the output only through ArgMax, which has no
# derivative: the error names the node.
save("argmax_path",
     [helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["h"], name="/fc/Gemm", transB=1),
      helper.make_node("ArgMax", ["h"], ["i"], name="/pick/ArgMax", axis=1, keepdims=0),
      helper.make_node("Cast", ["i"], ["y"], name="/pick/Cast", to=TensorProto.FLOAT)],
     [x], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch"])], [w, b])

# Two outputs (a module returning a tuple): `let a, b = net(x)` binds both.
save("two_outputs",
     [helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["logits"], name="/fc/Gemm",
                       transB=1),
      helper.make_node("Relu", ["logits"], ["features"], name="/relu")],
     [x], [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3]),
           helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 3])], [w, b])
