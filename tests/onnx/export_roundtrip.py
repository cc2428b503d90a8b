#!/usr/bin/python3
"""Exports trained programs as ONNX and imports them back.

For every model of tests/e2e/models/ (f32, and f64 for a few): compile it,
train 5 steps on the data of the PyTorch cross-check (tests/e2e/
torch_crosscheck.py), save the weights, and write the inference graph with
`PROGRAM --load W --export-onnx net.onnx`. The file must pass ONNX's own
checker (onnx.checker, full check) with a symbolic batch dimension, and hold
every weight by its name with the values of the weights file. Then a model
that only imports the file (`import net from onnx("net.onnx")`, the same
inputs, batch and train section) is compiled, and its predictions, from the
imported initializers, must equal the trained program's bitwise, over full
batches (predict) and the remainder (predict_one, batch 1). `gradc
check-import` (gradc's reference interpreter, which shares no kernel with
the programs) must agree with them within rtol 1e-4 (f32) / 1e-10 (f64).

Models with an op the exporter has no ONNX form for (the fused attention)
must be refused by --export-onnx with a non-zero exit and a message
naming the op and its model line, writing no file.
"""

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import torch_crosscheck as e2e  # noqa: E402  (the models' data)

# The models whose predict has an op without an ONNX form, and that op.
REFUSED = {"gpt_block": "nn.attention"}
F64 = {"cnn_batchnorm", "bce_layernorm", "sequence_slices"}


def run(command, expect_ok=True):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if expect_ok and result.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s" % (" ".join(command), result.returncode,
                                                      result.stdout))
    return result


def read_weights(path):
    return {name: np.asarray(value) for name, value in e2e.read_safetensors(path).items()}


def reimport_model(source, onnx_name):
    """A model of the same inputs, labels and train section whose output is
    the imported graph."""
    inputs = re.findall(r"^\s*input\s+(\w+)\s*:.*$", source, re.M)
    declarations = re.findall(r"^\s*(?:input|label)\s+\w+\s*:.*$", source, re.M)
    labels = re.findall(r"^\s*label\s+(\w+)\s*:\s*(\w+)", source, re.M)
    train = source[source.index("\ntrain {"):]
    lines = ["import net from onnx(\"%s\")" % onnx_name, "model Reimported {"]
    lines += ["  " + d.strip() for d in declarations]
    lines.append("  let out = net(%s)" % ", ".join(inputs))
    if labels:
        name, dtype = labels[0]
        loss = "softmax_cross_entropy" if dtype == "i32" else "mse"
        lines.append("  loss %s(out, %s)" % (loss, name))
    else:
        lines.append("  loss mean(out * out)")
    lines += ["  output out", "}"]
    return "\n".join(lines) + "\n" + train


def check(name, spec, args, work, precision):
    folder = os.path.join(work, "%s_%s" % (name, precision))
    os.makedirs(folder, exist_ok=True)
    x, y = e2e.DATA[spec["data"]]()
    xs, ys = os.path.join(folder, "x.npy"), os.path.join(folder, "y.npy")
    np.save(xs, x)
    np.save(ys, y)
    model = os.path.join(args.models, name + ".gc")
    program = os.path.join(folder, name)
    flags = ["--f64"] if precision == "f64" else []
    run([args.gradc, model, *flags, "-o", program])
    weights = os.path.join(folder, "w.safetensors")
    run([program, "--data", xs, "--labels", ys, "--steps", "5", "--seed", "5", "--save", weights,
         "--quiet"])
    exported = os.path.join(folder, "net.onnx")
    result = run([program, "--load", weights, "--export-onnx", exported], expect_ok=False)
    if name in REFUSED:
        op = REFUSED[name]
        problems = []
        if result.returncode == 0 or os.path.exists(exported):
            problems.append("--export-onnx did not refuse the model")
        if op not in result.stdout or not re.search(r"\.gc:\d+", result.stdout):
            problems.append("the refusal does not name %s and its model line: %s"
                            % (op, result.stdout.strip()))
        return problems, "refused: " + result.stdout.strip().splitlines()[-1][:90]
    if result.returncode != 0:
        return ["--export-onnx failed: " + result.stdout.strip()], ""

    problems = []
    graph = onnx.load(exported)
    onnx.checker.check_model(graph, full_check=True)
    dims = graph.graph.input[0].type.tensor_type.shape.dim
    if not dims or dims[0].dim_param != "batch":
        problems.append("the graph's batch dimension is not symbolic")
    saved = read_weights(weights)
    initializers = {t.name: numpy_helper.to_array(t) for t in graph.graph.initializer}
    for weight, value in saved.items():
        if weight in initializers and not np.array_equal(initializers[weight], value):
            problems.append("initializer %s differs from the weights file" % weight)
    used = {i for node in graph.graph.node for i in node.input}
    missing = [w for w in saved if w in used and w not in initializers]
    if missing:
        problems.append("weights read by the graph but not written: %s" % missing)

    # Imported back: the same predictions, bitwise.
    source = open(model).read()
    back_model = os.path.join(folder, "reimported.gc")
    with open(back_model, "w") as f:
        f.write(reimport_model(source, "net.onnx"))
    back = os.path.join(folder, "reimported")
    run([args.gradc, back_model, *flags, "-o", back])
    back_weights = os.path.join(folder, "back.safetensors")
    run([back, "--init-only", "--save", back_weights])
    count = min(len(x), 50)
    sample = os.path.join(folder, "sample.npy")
    np.save(sample, x[:count])
    ours, theirs = os.path.join(folder, "ours.npy"), os.path.join(folder, "back.npy")
    run([program, "--load", weights, "--predict", sample, "--out", ours])
    run([back, "--load", back_weights, "--predict", sample, "--out", theirs])
    a, b = np.load(ours), np.load(theirs)
    if a.shape != b.shape or not np.array_equal(a, b):
        problems.append("the re-imported program predicts otherwise: max |difference| %.3g"
                        % (np.abs(a - b).max() if a.shape == b.shape else float("inf")))
    # gradc's reference interpreter, on the exported file alone.
    rtol = "1e-4" if precision == "f32" else "1e-10"
    check_import = run([args.gradc, "check-import", exported, "--input", sample, "--expect", ours,
                        "--rtol", rtol, "--atol", "1e-6" if precision == "f32" else "1e-12",
                        *(["--f64"] if precision == "f64" else [])], expect_ok=False)
    if check_import.returncode != 0:
        problems.append("check-import disagrees: " + check_import.stdout.strip())
    return problems, "%d nodes, %d initializers, bitwise %s" % (
        len(graph.graph.node), len(graph.graph.initializer), np.array_equal(a, b))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gradc", required=True)
    parser.add_argument("--models", default=os.path.join(HERE, "..", "e2e", "models"))
    parser.add_argument("--keep", help="work in this folder and keep it")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="models checked at once")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    names = args.names or list(e2e.MODELS)
    passed = failed = 0
    runs = [(name, precision) for name in names
            for precision in ["f32"] + (["f64"] if name in F64 else [])]
    with tempfile.TemporaryDirectory(prefix="gradc-onnx-export-") as temp:
        work = args.keep or temp

        def one(run):
            try:
                return check(run[0], e2e.MODELS[run[0]], args, work, run[1])
            except Exception as error:
                return [str(error)], ""

        # Two at a time (compiling dominates); results print in order.
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for (name, precision), (problems, summary) in zip(runs, pool.map(one, runs)):
                print("%s %-22s %s %s" % ("FAIL" if problems else "PASS", name, precision,
                                          summary))
                for problem in problems:
                    print("     " + problem.replace("\n", "\n     "))
                sys.stdout.flush()
                passed += not problems
                failed += bool(problems)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
