#!/usr/bin/python3
"""Trains the models of tests/e2e/multi_input — two inputs, multi-label
classification, and no label — for
10 steps in gradc (f32, and f64 with --f64) and in PyTorch from the same
initial weights on the same batches, and compares the final weights, the
logged loss and metrics, and the predictions: torch.allclose with rtol 1e-4,
atol 1e-6 in f32 and rtol 1e-9, atol 1e-12 in f64. The program's --gradcheck
(central finite differences) must pass too. Prints `N passed, M failed`.
    crosscheck.py GRADC WORK_DIR"""

import csv
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

SAMPLES, STEPS, SEED = 100, 10, 5
TOLERANCES = {"f32": (1e-4, 1e-6), "f64": (1e-9, 1e-12)}
HERE = os.path.dirname(os.path.abspath(__file__))


def read_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    dtypes = {"F32": np.float32, "F64": np.float64, "I32": np.int32}
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        out[name] = np.frombuffer(data[begin:end], dtype=dtypes[entry["dtype"]]).reshape(
            entry["shape"])
    return out


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError("`%s` exited %d:\n%s" % (" ".join(command), result.returncode,
                                                    result.stderr))
    return result.stdout


def two_inputs(p, data):
    h = torch.tanh(F.linear(data["image"], p["dense_0.weight"], p["dense_0.bias"]))
    return F.linear(torch.cat([h, data["meta"]], dim=1), p["dense_1.weight"], p["dense_1.bias"])


def autoencoder(p, data):
    code = torch.tanh(F.linear(data["x"], p["dense_0.weight"], p["dense_0.bias"]))
    return F.linear(code, p["dense_1.weight"], p["dense_1.bias"])


def multi_label(p, data):
    h = torch.tanh(F.linear(data["x"], p["dense_0.weight"], p["dense_0.bias"]))
    return F.linear(h, p["dense_1.weight"], p["dense_1.bias"])


def per_tag(out, d, score):
    """The macro average over tags present among targets or predictions of
    score(true positives, predicted positives, actual positives)."""
    predicted, actual = out > 0, d["tags"] > 0.5
    values = []
    for k in range(out.shape[1]):
        tp = float((predicted[:, k] & actual[:, k]).sum())
        p, a = float(predicted[:, k].sum()), float(actual[:, k].sum())
        if p or a:
            values.append(score(tp, p, a))
    return sum(values) / len(values) if values else 0.0


def ratio(a, b):
    return a / b if b else 0.0


def make_data():
    rng = np.random.default_rng(2024)
    y = rng.integers(0, 4, size=SAMPLES).astype(np.int32)
    image = rng.standard_normal((SAMPLES, 6)).astype(np.float32)
    image[np.arange(SAMPLES), y] += 2
    meta = rng.standard_normal((SAMPLES, 3)).astype(np.float32)
    basis = rng.standard_normal((3, 8)).astype(np.float32)
    x = (np.tanh(rng.standard_normal((SAMPLES, 3))) @ basis).astype(np.float32)
    features = rng.standard_normal((SAMPLES, 6)).astype(np.float32)
    tags = (features @ rng.standard_normal((6, 5)) > 0.3).astype(np.float32)
    return {"image": image, "meta": meta, "y": y, "x": x, "features": features, "tags": tags}


MODELS = {
    "two_inputs": dict(
        net=two_inputs, inputs=["image", "meta"], labels=["y"],
        loss=lambda out, d: F.cross_entropy(out, d["y"]),
        metrics={"accuracy": lambda out, d: (out.argmax(1) == d["y"]).double().mean().item()},
        optimizer=lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9)),
    "multi_label": dict(
        net=lambda p, d: multi_label(p, {"x": d["features"]}), inputs=["features"],
        files={"x": "features"}, labels=["tags"],
        loss=lambda out, d: F.binary_cross_entropy_with_logits(out, d["tags"]),
        metrics={
            "accuracy": lambda out, d: ((out > 0) == (d["tags"] > 0.5)).double().mean().item(),
            "precision": lambda out, d: per_tag(out, d, lambda tp, p, a: ratio(tp, p)),
            "recall": lambda out, d: per_tag(out, d, lambda tp, p, a: ratio(tp, a)),
            "f1": lambda out, d: per_tag(out, d, lambda tp, p, a: ratio(2 * tp, p + a)),
        },
        optimizer=lambda params: torch.optim.Adam(params, lr=1e-2), output=torch.sigmoid),
    "autoencoder": dict(
        net=autoencoder, inputs=["x"], labels=[],
        loss=lambda out, d: F.mse_loss(out, d["x"]), metrics={},
        optimizer=lambda params: torch.optim.Adam(params, lr=1e-2)),
}


def torch_train(spec, weights, data, dtype):
    params = {k: torch.tensor(v, dtype=dtype, requires_grad=True) for k, v in weights.items()}
    optimizer = spec["optimizer"](list(params.values()))
    tensors = {k: torch.from_numpy(v).to(dtype) if v.dtype != np.int32 else
               torch.from_numpy(v).long() for k, v in data.items()}
    batch, losses, outs, parts = 16, [], [], []
    per_epoch = SAMPLES // batch
    for step in range(STEPS):
        first = (step % per_epoch) * batch
        part = {k: v[first:first + batch] for k, v in tensors.items()}
        out = spec["net"](params, part)
        loss = spec["loss"](out, part)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        outs.append(out.detach())
        parts.append(part)
    # The last epoch's metrics, over all its batches at once (the program sums
    # each metric's statistics over the epoch).
    last = slice(per_epoch, STEPS)
    epoch_out = torch.cat(outs[last])
    epoch_data = {k: torch.cat([part[k] for part in parts[last]]) for k in tensors}
    metric_values = {name: metric(epoch_out, epoch_data)
                     for name, metric in spec["metrics"].items()}
    return {k: v.detach().numpy() for k, v in params.items()}, losses, metric_values, tensors


def close(a, b, rtol, atol):
    return np.allclose(a, b, rtol=rtol, atol=atol)


def check(name, spec, gradc, work, data, precision):
    rtol, atol = TOLERANCES[precision]
    model = os.path.join(HERE, name + ".gc")
    program = os.path.join(work, "%s_%s" % (name, precision))
    run([gradc, model, *(["--f64"] if precision == "f64" else []), "-o", program])
    files = []
    names = {key: name for name, key in spec.get("files", {}).items()}
    for role, keys in (("--data", spec["inputs"]), ("--labels", spec["labels"])):
        for key in keys:
            path = os.path.join(work, key + ".npy")
            files += [role, "%s=%s" % (names.get(key, key), path)]
    w0, w10 = (os.path.join(work, "%s_%s_w%d.safetensors" % (name, precision, s))
               for s in (0, STEPS))
    log = os.path.join(work, "%s_%s.csv" % (name, precision))
    run([program, "--init-only", "--seed", str(SEED), "--save", w0])
    run([program, *files, "--no-shuffle", "--seed", str(SEED), "--steps", str(STEPS),
         "--load", w0, "--save", w10, "--log", log])
    dtype = torch.float64 if precision == "f64" else torch.float32
    theirs, losses, metrics, tensors = torch_train(spec, read_safetensors(w0), data, dtype)
    ours = read_safetensors(w10)
    problems = []
    for key, value in theirs.items():
        if not close(ours[key], value, rtol, atol):
            problems.append("%s differs from PyTorch's (max abs %.3g)"
                            % (key, np.abs(ours[key] - value).max()))
    with open(log) as f:
        record = list(csv.DictReader(f))[-1]
    # The log's epoch record: the mean loss of the epoch's steps (all 6 of
    # epoch 1, then 4 of epoch 2).
    per_epoch = SAMPLES // 16
    expected_loss = np.mean(losses[per_epoch:])
    if not close(float(record["loss"]), expected_loss, rtol, atol):
        problems.append("logged loss %s, PyTorch %.9g" % (record["loss"], expected_loss))
    for metric, value in metrics.items():
        if abs(float(record[metric]) - value) > 1e-9:
            problems.append("logged %s %s, PyTorch %.9g" % (metric, record[metric], value))
    predict = []
    for key in spec["inputs"]:
        predict += ["--predict", "%s=%s" % (names.get(key, key), os.path.join(work, key + ".npy"))]
    out = os.path.join(work, "%s_%s_predict.npy" % (name, precision))
    run([program, *predict, "--load", w10, "--out", out])
    with torch.no_grad():
        params = {k: torch.tensor(v, dtype=dtype) for k, v in ours.items()}
        expected = spec.get("output", lambda out: out)(spec["net"](params, tensors)).numpy()
    if not close(np.load(out), expected, rtol, atol):
        problems.append("predictions differ from PyTorch's")
    if precision == "f64":
        run([program, *files, "--gradcheck", "--load", w0])
    return problems


def main():
    gradc, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    data = make_data()
    for key, value in data.items():
        np.save(os.path.join(work, key + ".npy"), value)
    passed = failed = 0
    for name, spec in MODELS.items():
        for precision in ("f32", "f64"):
            try:
                problems = check(name, spec, gradc, work, data, precision)
            except RuntimeError as error:
                problems = [str(error)]
            if problems:
                failed += 1
                print("FAIL %s %s\n  %s" % (name, precision, "\n  ".join(problems)))
            else:
                passed += 1
                print("PASS %s %s" % (name, precision))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
