#!/usr/bin/python3
"""Trains compiled models and the same models in PyTorch, and compares them.

For every model in tests/e2e/models/ and both precisions (gradc's f32, and
gradc --f64): compile it, let the program write its initial weights
(--init-only), train 10 steps from them in file order (--no-shuffle), and train
the same 10 steps with torch.optim from the same weights on the same batches.
Every final weight, the per-epoch mean losses of the log, and the predictions
of the trained program (--predict) must match PyTorch's:
torch.allclose(gradc, torch, rtol=1e-4, atol=1e-6) for f32, rtol=1e-9,
atol=1e-12 for f64. The f32 program, trained 300 steps, must halve its loss.

Each line reports, per precision, `rel`: the largest per-element relative
difference |gradc - torch| / max(|torch|, 1e-6) over all weights, and `tol`:
the largest |gradc - torch| / (atol + rtol |torch|) (allclose holds when it
is <= 1). Then `N passed, M failed`; the exit status is 1 on any failure.

The data is made at test time in a temporary folder: the first 300
Fashion-MNIST training images (scaled to [0, 1]) with their labels, or a
seeded synthetic set. 300 is not a multiple of any batch size used, so the
trainer's drop_last (and predict_one for the remainder) is exercised too.
"""

import argparse
import concurrent.futures
import csv
import gzip
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

# torch.allclose tolerances per precision of the compiled program.
TOLERANCES = {"f32": (1e-4, 1e-6), "f64": (1e-9, 1e-12)}
SAMPLES = 300
FASHION = "/usr/share/datasets/fashion-mnist"

# ---------------------------------------------------------------- safetensors

SAFETENSORS_DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32,
                      "I64": np.int64, "U8": np.uint8}


def read_safetensors(path):
    """name -> numpy array: an 8-byte little-endian header length, a JSON
    header, then the raw little-endian data each entry's offsets address."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_len])
    data = blob[8 + header_len:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = np.dtype(SAFETENSORS_DTYPES[entry["dtype"]]).newbyteorder("<")
        array = np.frombuffer(data[begin:end], dtype=dtype)
        tensors[name] = array.reshape(entry["shape"]).astype(dtype.newbyteorder("="))
    return tensors


# ----------------------------------------------------------------------- data

def read_idx(path, count):
    """The first `count` items of a gzip IDX file, as uint8."""
    with gzip.open(path, "rb") as f:
        magic, = struct.unpack(">I", f.read(4))
        rank = magic & 0xFF
        dims = struct.unpack(">" + "I" * rank, f.read(4 * rank))
        shape = (count,) + dims[1:]
        size = int(np.prod(shape))
        return np.frombuffer(f.read(size), dtype=np.uint8).reshape(shape)


def fashion_data(flat):
    images = read_idx(os.path.join(FASHION, "train-images-idx3-ubyte.gz"), SAMPLES)
    labels = read_idx(os.path.join(FASHION, "train-labels-idx1-ubyte.gz"), SAMPLES)
    x = images.astype(np.float32) / np.float32(255)
    if flat:
        x = x.reshape(SAMPLES, -1)
    else:
        x = x.reshape(SAMPLES, 1, 28, 28)
    return x, labels.astype(np.int64)


def regression_data():
    rng = np.random.default_rng(1234)
    x = rng.standard_normal((SAMPLES, 8)).astype(np.float32)
    mixing = rng.standard_normal((8, 2)).astype(np.float32) / np.float32(math.sqrt(8))
    t = np.tanh(x @ mixing) + np.float32(0.1) * rng.standard_normal((SAMPLES, 2))
    return x, t.astype(np.float32)


def binary_data():
    rng = np.random.default_rng(5678)
    x = rng.standard_normal((SAMPLES, 8)).astype(np.float32)
    mixing = rng.standard_normal((8, 2)).astype(np.float32)
    return x, (x @ mixing > 0).astype(np.float32)


def sequence_data():
    rng = np.random.default_rng(91011)
    ids = rng.integers(0, 20, size=(SAMPLES, 6)).astype(np.int32)
    table = rng.standard_normal((20, 3)).astype(np.float32)
    return ids, table[ids].mean(axis=1).astype(np.float32)


DATA = {
    "fashion": lambda: fashion_data(flat=True),
    "fashion_images": lambda: fashion_data(flat=False),
    "regression": regression_data,
    "binary": binary_data,
    "sequence": sequence_data,
}


# --------------------------------------------------------------------- models

def mlp(p, x, training=True):
    h = F.relu(F.linear(x, p["dense_0.weight"], p["dense_0.bias"]))
    return F.linear(h, p["dense_1.weight"], p["dense_1.bias"])


def regressor(p, x, training=True):
    h = torch.tanh(F.linear(x, p["dense_0.weight"], p["dense_0.bias"]))
    return F.linear(h, p["dense_1.weight"], p["dense_1.bias"])


def cnn(p, x, training=True):
    h = F.conv2d(x, p["conv2d_0.weight"], p["conv2d_0.bias"], stride=2, padding=1)
    h = F.batch_norm(h, p["batch_norm_0.running_mean"], p["batch_norm_0.running_var"],
                     p["batch_norm_0.gamma"], p["batch_norm_0.beta"], training=training,
                     momentum=0.1, eps=1e-5)
    h = F.max_pool2d(F.relu(h), 2)
    return F.linear(torch.flatten(h, 1), p["dense_0.weight"], p["dense_0.bias"])


def pooling(p, x, training=True):
    c = F.conv2d(x, p["conv2d_0.weight"], None, padding=1)
    a = F.avg_pool2d(F.leaky_relu(c, 0.1), 2)
    m = torch.flatten(F.max_pool2d(a, 3, stride=2), 1)
    g = c.mean(dim=(2, 3))
    h = F.linear(torch.cat([m, g], dim=1), p["dense_0.weight"], p["dense_0.bias"])
    h = h * torch.sigmoid(h)
    return F.log_softmax(F.linear(h, p["dense_1.weight"], p["dense_1.bias"]), dim=-1)


def sequence(p, ids, training=True):
    e = F.embedding(ids.long(), p["embedding_0.weight"])
    batch = ids.shape[0]
    q = F.linear(e.reshape(batch * 6, 8), p["dense_0.weight"], p["dense_0.bias"])
    q = q.reshape(batch, 6, 8)
    scores = torch.softmax(torch.matmul(q, e.transpose(1, 2)) / 4.0, dim=-1)
    mixed = torch.matmul(scores, e)
    pooled = mixed.mean(dim=1) + 0.5 * torch.square(e).sum(dim=1) / 6.0
    return F.linear(torch.tanh(pooled), p["dense_1.weight"], p["dense_1.bias"])


def binary(p, x, training=True):
    h = F.linear(x, p["dense_0.weight"], p["dense_0.bias"])
    h = F.gelu(F.layer_norm(h, (16,), p["layer_norm_0.gamma"], p["layer_norm_0.beta"], 1e-5))
    return F.linear(h, p["dense_1.weight"], p["dense_1.bias"])


def cross_entropy(logits, y):
    return F.cross_entropy(logits, y)


def mse(pred, t):
    return F.mse_loss(pred, t)


def bce_with_logits(logits, t):
    return F.binary_cross_entropy_with_logits(logits, t)


def huber(pred, t):
    return F.huber_loss(pred, t, delta=0.5)


def cosine(steps, warmup, min_lr, lr):
    """The factor of the documented cosine schedule, for LambdaLR."""
    def factor(t):
        if t < warmup:
            return t / warmup
        progress = min(t - warmup, steps - warmup) / (steps - warmup)
        return (min_lr + (lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2) / lr
    return factor


def sgd(**kw):
    return lambda params: torch.optim.SGD(params, **kw)


def adam(**kw):
    return lambda params: torch.optim.Adam(params, **kw)


def adamw(**kw):
    return lambda params: torch.optim.AdamW(params, **kw)


def rmsprop(**kw):
    return lambda params: torch.optim.RMSprop(params, **kw)


# Each entry mirrors tests/e2e/models/<name>.gc: data, network, loss,
# torch.optim optimizer, the regularization and clipping of `train { }`, and
# the batch size.
MODELS = {
    "mlp_sgd": dict(data="fashion", net=mlp, loss=cross_entropy, batch=64,
                    optimizer=sgd(lr=0.1)),
    "mlp_momentum": dict(data="fashion", net=mlp, loss=cross_entropy, batch=64,
                         optimizer=sgd(lr=0.05, momentum=0.9)),
    "mlp_nesterov": dict(data="fashion", net=mlp, loss=cross_entropy, batch=64,
                         optimizer=sgd(lr=0.05, momentum=0.9, nesterov=True,
                                       weight_decay=1e-3)),
    "mlp_adam": dict(data="fashion", net=mlp, loss=cross_entropy, batch=64,
                     optimizer=adam(lr=1e-3)),
    "mlp_adamw": dict(data="fashion", net=mlp, loss=cross_entropy, batch=64,
                      optimizer=adamw(lr=2e-3, betas=(0.8, 0.99), weight_decay=0.05)),
    "mlp_rmsprop": dict(data="fashion", net=mlp, loss=cross_entropy, batch=64,
                        optimizer=rmsprop(lr=1e-3)),
    "mlp_rmsprop_momentum": dict(data="fashion", net=mlp, loss=cross_entropy, batch=64,
                                 optimizer=rmsprop(lr=1e-3, alpha=0.9, eps=1e-6, momentum=0.5,
                                                   weight_decay=1e-3)),
    "mlp_l2_clip": dict(data="fashion", net=mlp, loss=cross_entropy, batch=64,
                        optimizer=sgd(lr=0.1, momentum=0.9), l2=1e-3, clip_grad_norm=0.5),
    "regression_mse": dict(data="regression", net=regressor, loss=mse, batch=32,
                           optimizer=adam(lr=1e-2)),
    "cnn_batchnorm": dict(data="fashion_images", net=cnn, loss=cross_entropy, batch=32,
                          optimizer=sgd(lr=0.1, momentum=0.9),
                          schedule=dict(step_size=4, gamma=0.5)),
    "bce_layernorm": dict(data="binary", net=binary, loss=bce_with_logits, batch=32,
                          optimizer=adam(lr=1e-2, betas=(0.85, 0.995), eps=1e-7),
                          l1=1e-4, clip_grad_value=0.05),
    "cnn_pooling": dict(data="fashion_images", net=pooling, loss=cross_entropy, batch=32,
                        optimizer=sgd(lr=0.05, momentum=0.9, weight_decay=1e-3)),
    "sequence_huber": dict(data="sequence", net=sequence, loss=huber, batch=16,
                           optimizer=adamw(lr=5e-3, weight_decay=0.1),
                           lr_lambda=cosine(steps=200, warmup=3, min_lr=1e-4, lr=5e-3)),
}

# Saved with the weights but not trained (batch-norm running statistics).
BUFFER_SUFFIXES = (".running_mean", ".running_var")


# ------------------------------------------------------------------- training

def as_torch(array, dtype):
    """Floating-point data in the program's precision; integers as they are."""
    tensor = torch.from_numpy(array)
    return tensor.to(dtype) if tensor.is_floating_point() else tensor


def torch_train(spec, weights, x, y, steps, dtype):
    """`steps` optimizer steps from `weights` on full batches in file order
    (drop_last), as the trainer takes them with --no-shuffle. Returns the final
    parameters and the mean loss of each epoch."""
    params = {name: torch.tensor(value, dtype=dtype,
                                 requires_grad=not name.endswith(BUFFER_SUFFIXES))
              for name, value in weights.items()}
    trainable = [p for p in params.values() if p.requires_grad]
    optimizer = spec["optimizer"](trainable)
    scheduler = None
    if spec.get("schedule"):
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, **spec["schedule"])
    if spec.get("lr_lambda"):
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, spec["lr_lambda"])
    x, y = as_torch(x, dtype), as_torch(y, dtype)
    batch = spec["batch"]
    per_epoch = x.shape[0] // batch
    epoch_losses, current = [], []
    for step in range(steps):
        b = step % per_epoch
        xb, yb = x[b * batch:(b + 1) * batch], y[b * batch:(b + 1) * batch]
        optimizer.zero_grad()
        loss = spec["loss"](spec["net"](params, xb), yb)
        loss.backward()
        with torch.no_grad():
            for p in trainable:
                if spec.get("l1"):
                    p.grad += spec["l1"] * torch.sign(p)
                if spec.get("l2"):
                    p.grad += spec["l2"] * p
        if spec.get("clip_grad_value"):
            torch.nn.utils.clip_grad_value_(trainable, spec["clip_grad_value"])
        if spec.get("clip_grad_norm"):
            torch.nn.utils.clip_grad_norm_(trainable, spec["clip_grad_norm"])
        optimizer.step()
        if scheduler:
            scheduler.step()
        current.append(loss.item())
        if b == per_epoch - 1 or step == steps - 1:
            epoch_losses.append(sum(current) / len(current))
            current = []
    return {name: p.detach().numpy() for name, p in params.items()}, epoch_losses


def run(command, **kw):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, **kw)
    if result.returncode != 0:
        raise RuntimeError("`%s` exited with %d:\n%s" % (" ".join(command), result.returncode,
                                                        result.stdout))
    return result.stdout


def read_losses(path):
    with open(path) as f:
        return [float(row["loss"]) for row in csv.DictReader(f)]


def max_relative(a, b):
    """max |a - b| / max(|b|, 1e-6) over the elements."""
    return float(np.max(np.abs(a.astype(np.float64) - b) / np.maximum(np.abs(b), 1e-6)))


def close(a, b, rtol, atol):
    return torch.allclose(torch.as_tensor(np.asarray(a, dtype=np.float64)),
                          torch.as_tensor(np.asarray(b, dtype=np.float64)),
                          rtol=rtol, atol=atol)


def tolerance_used(a, b, rtol, atol):
    """max |a - b| / (atol + rtol |b|): torch.allclose holds when this is <= 1."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / (atol + rtol * np.abs(b))))


def compare(ours, theirs, initial, rtol, atol):
    """Problems found, the largest relative difference and the largest
    fraction of the tolerance used, over every weight."""
    problems = []
    if sorted(ours) != sorted(theirs):
        problems.append("weights %s, expected %s" % (sorted(ours), sorted(theirs)))
    worst_rel = worst_used = 0.0
    for key in sorted(set(ours) & set(theirs)):
        rel = max_relative(ours[key], theirs[key])
        used = tolerance_used(ours[key], theirs[key], rtol, atol)
        worst_rel, worst_used = max(worst_rel, rel), max(worst_used, used)
        if not close(ours[key], theirs[key], rtol, atol):
            problems.append("%s differs (max relative difference %.3g)" % (key, rel))
        if np.array_equal(ours[key], initial[key]):
            problems.append("%s did not change" % key)
    return problems, worst_rel, worst_used


def check_precision(name, spec, args, folder, x, y, precision):
    """Trains `steps` steps in gradc (compiled for `precision`) and in
    PyTorch; returns the problems found and a summary."""
    rtol, atol = TOLERANCES[precision]
    program = os.path.join(folder, "%s_%s" % (name, precision))
    flags = ["--f64"] if precision == "f64" else []
    run([args.gradc, os.path.join(args.models, name + ".gc"), *flags, "-o", program])
    xs, ys = os.path.join(folder, "x.npy"), os.path.join(folder, "y.npy")
    data = ["--data", xs, "--labels", ys, "--no-shuffle", "--threads", "1"]
    w0 = os.path.join(folder, "w0_%s.safetensors" % precision)
    w10 = os.path.join(folder, "w%d_%s.safetensors" % (args.steps, precision))
    log = os.path.join(folder, "steps%d_%s.csv" % (args.steps, precision))
    run([program, "--init-only", "--save", w0])
    run([program, *data, "--steps", str(args.steps), "--load", w0, "--save", w10, "--log", log])

    initial = read_safetensors(w0)
    dtype = torch.float64 if precision == "f64" else torch.float32
    theirs, torch_losses = torch_train(spec, initial, x, y, args.steps, dtype)
    problems, worst_rel, worst_used = compare(read_safetensors(w10), theirs, initial, rtol, atol)
    losses = read_losses(log)
    if len(losses) != len(torch_losses) or not close(losses, torch_losses, rtol, atol):
        problems.append("epoch losses %s, PyTorch %s" % (losses, torch_losses))

    # Prediction from the trained weights: full batches through predict, the
    # rest one by one through predict_one.
    out = os.path.join(folder, "predict_%s.npy" % precision)
    run([program, "--predict", xs, "--out", out, "--load", w10])
    trained = read_safetensors(w10)
    with torch.no_grad():
        params = {k: torch.tensor(v, dtype=dtype) for k, v in trained.items()}
        expected = spec["net"](params, as_torch(x, dtype), training=False).numpy()
    predicted = np.load(out)
    if predicted.shape != expected.shape or not close(predicted, expected, rtol, atol):
        problems.append("predictions differ (max relative difference %.3g)"
                        % max_relative(predicted, expected))
    problems = ["%s: %s" % (precision, p) for p in problems]
    summary = "%s rel %.1e tol %.2f" % (precision, worst_rel, worst_used)
    return problems, program, data, w0, summary


def check_model(name, spec, args, work):
    folder = os.path.join(work, name)
    os.makedirs(folder, exist_ok=True)
    x, y = DATA[spec["data"]]()
    np.save(os.path.join(folder, "x.npy"), x)
    np.save(os.path.join(folder, "y.npy"), y)

    problems, summaries = [], []
    for precision in ("f32", "f64"):
        found, program, data, w0, summary = check_precision(name, spec, args, folder, x, y,
                                                            precision)
        problems += found
        summaries.append(summary)
        if precision == "f32":
            trained = (program, data, w0)

    # The f32 program, trained longer, must learn.
    program, data, w0 = trained
    log = os.path.join(folder, "steps%d.csv" % args.long_steps)
    run([program, *data, "--steps", str(args.long_steps), "--load", w0, "--log", log])
    curve = read_losses(log)
    if not all(math.isfinite(v) for v in curve) or not curve[-1] < 0.5 * curve[0]:
        problems.append("the loss did not fall by half in %d steps: %s ... %s"
                        % (args.long_steps, curve[:2], curve[-2:]))
    summaries.append("loss %.3f -> %.3f in %d steps" % (curve[0], curve[-1], args.long_steps))
    return problems, "; ".join(summaries)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gradc", required=True, help="the gradc binary")
    parser.add_argument("--models", default=os.path.join(here, "models"))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--long-steps", type=int, default=300)
    parser.add_argument("--keep", help="work in this folder and keep it")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="models checked at once")
    parser.add_argument("names", nargs="*", help="models to check (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(1)

    names = args.names or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        parser.error("unknown models: " + ", ".join(unknown))

    def check(name, work):
        start = time.time()
        try:
            problems, summary = check_model(name, MODELS[name], args, work)
        except Exception as error:  # a failed compile or run fails the model
            problems, summary = [str(error)], ""
        return problems, summary, time.time() - start

    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="gradc-e2e-") as temp:
        work = args.keep or temp
        # Models are checked side by side (compiling dominates); results print in order.
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = pool.map(lambda name: check(name, work), names)
            for name, (problems, summary, seconds) in zip(names, results):
                print("%s %-22s %s (%.1f s)" % ("FAIL" if problems else "PASS", name, summary,
                                                seconds))
                for problem in problems:
                    print("     " + problem.replace("\n", "\n     "))
                sys.stdout.flush()
                passed += not problems
                failed += bool(problems)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
