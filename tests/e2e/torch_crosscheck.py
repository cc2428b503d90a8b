#!/usr/bin/python3
"""Trains compiled models and the same models in PyTorch, and compares them.

For every model in tests/e2e/models/ and both precisions (gradc's f32, and
gradc --f64): compile it, let the program write its initial weights
(--init-only), train 10 steps from them (in file order with --no-shuffle, or
in the trainer's shuffled order, which this script reproduces), evaluating
the training set after every epoch (--test, --log), and train the same 10
steps with torch.optim from the same weights on the same batches, with the
same dropout masks. Every final weight, every number of the log (per-epoch
loss and metrics in training, test loss and metrics) and the trained
program's predictions (--predict) must match PyTorch's:
torch.allclose(gradc, torch, rtol=1e-4, atol=1e-6) for f32, rtol=1e-9,
atol=1e-12 for f64 (accuracy and the other counting metrics: equal in f64,
within one sample in f32). The f32 weights must also be as accurate as
PyTorch's f32 ones, both measured against PyTorch in float64: a systematic
rounding error shows there long before it breaks allclose. The f32 program,
trained 300 steps, must halve its loss. The same 10 steps in a program
compiled with -fno-fuse -fno-plan, and with -fno-step-gradients, must end with
bitwise the same weights: fusion, memory planning and keeping the gradients
inside the step change no value.

Each line reports, per precision, `rel`: the largest per-element relative
difference |gradc - torch| / max(|torch|, 1e-6) over all weights, `tol`: the
largest |gradc - torch| / (atol + rtol |torch|) (allclose holds when it is
<= 1), and for f32 `err`: gradc's mean error against float64 over PyTorch
f32's (at most 2x + 0.001 tolerance units passes). Then `N passed, M
failed`; the exit status is 1 on any failure.

The data is made at test time in a temporary folder: the first 300
Fashion-MNIST training images (scaled to [0, 1]) with their labels, or a
seeded synthetic set. 300 is not a multiple of any batch size used, so the
trainer's drop_last (and eval_one / predict_one for the remainder) is
exercised too.

f32 results are compared only where f32 itself is well conditioned: an
adaptive optimizer (Adam, RMSprop) divides a gradient by its own magnitude,
so where a gradient is within rounding of zero (weights of pixels that are
almost always 0, sums of +-1/N that cancel exactly) both f32 programs carry
rounding noise of the size of the learning rate. The models avoid that (see
their comments); the f64 check has no such limit.
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

# PyTorch's f32 reference on OpenBLAS's AVX2 (Haswell) kernels wherever the
# CPU has them: OpenBLAS picks its kernels by CPU, and its AVX-512 ones round
# differently enough that the f32 accuracy bar below would move with the
# machine (gpt_block's PyTorch f32 error against float64 is 3.3x smaller on
# SkylakeX kernels than on Haswell ones, gradc's the same on both). Set
# before torch loads OpenBLAS; a CORETYPE given in the environment stands.
def _has_avx2():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return " avx2" in cpuinfo.read()
    except OSError:
        return False


if _has_avx2():
    os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# torch.allclose tolerances per precision of the compiled program.
TOLERANCES = {"f32": (1e-4, 1e-6), "f64": (1e-9, 1e-12)}
SAMPLES = 300
SEED = 5  # --seed of every run: initialization and the dropout keys
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


def blobs_data():
    """Ten classes of Gaussian points in 16 dimensions."""
    rng = np.random.default_rng(4321)
    centers = rng.standard_normal((10, 16)).astype(np.float32)
    y = rng.integers(0, 10, size=SAMPLES)
    x = centers[y] + rng.standard_normal((SAMPLES, 16)).astype(np.float32)
    return x.astype(np.float32), y.astype(np.int32)


def smooth_regression_data():
    """Six features, three targets that depend on them smoothly."""
    rng = np.random.default_rng(2718)
    x = rng.standard_normal((SAMPLES, 6)).astype(np.float32)
    t = np.stack([np.sin(x[:, 0] + x[:, 1]), x[:, 2] * x[:, 3], np.abs(x[:, 4]) - x[:, 5]], 1)
    return x, t.astype(np.float32)


def sequence_data():
    rng = np.random.default_rng(91011)
    ids = rng.integers(0, 20, size=(SAMPLES, 6)).astype(np.int32)
    table = rng.standard_normal((20, 3)).astype(np.float32)
    return ids, table[ids].mean(axis=1).astype(np.float32)


def token_data():
    """Ids and, per position, a next token that depends on the id and the position."""
    rng = np.random.default_rng(1213)
    ids = rng.integers(0, 20, size=(SAMPLES, 6)).astype(np.int32)
    return ids, ((3 * ids + np.arange(6)) % 20).astype(np.int32)


def masked_token_data():
    """token_data with the labels of every id divisible by 4 replaced by -100."""
    ids, labels = token_data()
    return ids, np.where(ids % 4 == 0, -100, labels).astype(np.int32)


DATA = {
    "fashion": lambda: fashion_data(flat=True),
    "fashion_images": lambda: fashion_data(flat=False),
    "regression": regression_data,
    "binary": binary_data,
    "blobs": blobs_data,
    "smooth": smooth_regression_data,
    "sequence": sequence_data,
    "tokens": token_data,
    "masked_tokens": masked_token_data,
}


# --------------------------------------------------------------------- models
#
# Each network takes the parameters by name, a batch, whether it trains, and
# the step's dropout key.

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
# runtime/src/trainer.cpp's domains of the per-step dropout keys and per-epoch orders
DROPOUT_DOMAIN = 0x44524F504F5554
SHUFFLE_DOMAIN = 0x53485546464C45
MASK64 = (1 << 64) - 1


def splitmix64_mix(z):
    """splitmix64's output function, on numpy uint64 (wrapping) or Python ints."""
    if isinstance(z, int):
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def rng_output(seed, index):
    """Rng::outputAt: output `index` of the splitmix64 stream `seed`."""
    return splitmix64_mix((seed + (index + 1) * int(GOLDEN)) & MASK64)


def step_dropout_key(seed, step):
    """The trainer's dropout key of 0-based step `step`."""
    return rng_output(seed ^ DROPOUT_DOMAIN, step)


def epoch_order(seed, epoch, count):
    """The trainer's shuffled sample order of `epoch`: Rng::permutation, a
    Fisher-Yates shuffle drawing from the stream shuffleSeed(seed, epoch)."""
    stream, counter = rng_output(seed ^ SHUFFLE_DOMAIN, epoch), 0
    order = list(range(count))
    for i in range(count, 1, -1):
        threshold = (2 ** 64 - i) % i  # Rng::below rejects outputs under this
        while True:
            value = rng_output(stream, counter)
            counter += 1
            if value >= threshold:
                break
        j = value % i
        order[i - 1], order[j] = order[j], order[i - 1]
    return order


def dropout(x, p, stream, key, training):
    """Inverted dropout with the runtime's counter-based mask
    (runtime/include/gradc/runtime/dropout_mask.h)."""
    if not training:
        return x
    stream_seed = splitmix64_mix(key ^ splitmix64_mix((stream * int(GOLDEN) + int(GOLDEN))
                                                      & MASK64))
    with np.errstate(over="ignore"):
        index = np.arange(1, x.numel() + 1, dtype=np.uint64)
        z = splitmix64_mix(np.uint64(stream_seed) + index * GOLDEN)
    uniform = (z >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)
    scale = np.where(uniform >= np.float32(p), 1.0 / (1.0 - p), 0.0)
    return x * torch.from_numpy(scale).to(x.dtype).reshape(x.shape)


def mlp(p, x, training=True, key=None):
    h = F.relu(F.linear(x, p["dense_0.weight"], p["dense_0.bias"]))
    return F.linear(h, p["dense_1.weight"], p["dense_1.bias"])


def silu_mlp(p, x, training=True, key=None):
    h = F.silu(F.linear(x, p["dense_0.weight"], p["dense_0.bias"]))
    return F.linear(h, p["dense_1.weight"], p["dense_1.bias"])


def regressor(p, x, training=True, key=None):
    h = torch.tanh(F.linear(x, p["dense_0.weight"], p["dense_0.bias"]))
    return F.linear(h, p["dense_1.weight"], p["dense_1.bias"])


def cnn(p, x, training=True, key=None):
    h = F.conv2d(x, p["conv2d_0.weight"], p["conv2d_0.bias"], stride=2, padding=1)
    h = F.batch_norm(h, p["batch_norm_0.running_mean"], p["batch_norm_0.running_var"],
                     p["batch_norm_0.gamma"], p["batch_norm_0.beta"], training=training,
                     momentum=0.1, eps=1e-5)
    h = F.max_pool2d(F.relu(h), 2)
    return F.linear(torch.flatten(h, 1), p["dense_0.weight"], p["dense_0.bias"])


def pooling(p, x, training=True, key=None):
    c = F.conv2d(x, p["conv2d_0.weight"], None, padding=1)
    a = F.avg_pool2d(F.leaky_relu(c, 0.1), 2)
    m = torch.flatten(F.max_pool2d(a, 3, stride=2), 1)
    g = c.mean(dim=(2, 3))
    h = F.linear(torch.cat([m, g], dim=1), p["dense_0.weight"], p["dense_0.bias"])
    h = h * torch.sigmoid(h)
    return F.log_softmax(F.linear(h, p["dense_1.weight"], p["dense_1.bias"]), dim=-1)


def sequence(p, ids, training=True, key=None):
    e = F.embedding(ids.long(), p["embedding_0.weight"])
    batch = ids.shape[0]
    q = F.linear(e.reshape(batch * 6, 8), p["dense_0.weight"], p["dense_0.bias"])
    q = q.reshape(batch, 6, 8)
    scores = torch.softmax(torch.matmul(q, e.transpose(1, 2)) / 4.0, dim=-1)
    mixed = torch.matmul(scores, e)
    pooled = mixed.mean(dim=1) + 0.5 * torch.square(e).sum(dim=1) / 6.0
    return F.linear(torch.tanh(pooled), p["dense_1.weight"], p["dense_1.bias"])


def sequence_slices(p, ids, training=True, key=None):
    e = F.embedding(ids.long(), p["embedding_0.weight"]) + p["pos"]
    batch = ids.shape[0]
    h = F.linear(e.reshape(batch * 6, 8), p["dense_0.weight"], p["dense_0.bias"])
    h = torch.tanh(h.reshape(batch, 6, 8))
    last = h[:, -1]
    window = h[:, 1:4, :].mean(dim=1)
    return F.linear(last + window, p["dense_1.weight"], p["dense_1.bias"]) + e[:, 0, 5:]


def next_token(p, ids, training=True, key=None):
    e = F.embedding(ids.long(), p["embedding_0.weight"]) + p["pos"]
    batch = ids.shape[0]
    h = torch.tanh(F.linear(e.reshape(batch * 6, 16), p["dense_0.weight"],
                            p["dense_0.bias"]).reshape(batch, 6, 16))
    return F.linear(h.reshape(batch * 6, 16), p["dense_1.weight"],
                    p["dense_1.bias"]).reshape(batch, 6, 20)


def causal_attention(p, ids, training=True, key=None):
    e = F.embedding(ids.long(), p["embedding_0.weight"]) + p["pos"]
    batch = ids.shape[0]
    q = F.linear(e.reshape(batch * 6, 8), p["dense_0.weight"], p["dense_0.bias"])
    scores = torch.matmul(q.reshape(batch, 6, 8), e.transpose(1, 2)) / 2.8
    mask = torch.tril(torch.ones(6, 6, dtype=torch.bool))
    masked = scores.masked_fill(~mask, -1e9)
    mixed = torch.matmul(torch.softmax(masked, dim=-1), e)
    gated = torch.where(mixed > 0, mixed, 0.5 * mixed)
    h = torch.tanh(F.linear((gated + e).reshape(batch * 6, 8), p["dense_1.weight"],
                            p["dense_1.bias"]))
    return F.linear(h, p["dense_2.weight"], p["dense_2.bias"]).reshape(batch, 6, 20)


def masked_attention(q, k, v, heads):
    """Causal multi-head attention written out: [B, T, C] in and out."""
    batch, steps, width = q.shape
    dim = width // heads
    def split(t):
        return t.reshape(batch, steps, heads, dim).transpose(1, 2)
    scores = torch.matmul(split(q), split(k).transpose(-1, -2)) / math.sqrt(dim)
    mask = torch.tril(torch.ones(steps, steps, dtype=torch.bool))
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    return torch.matmul(weights, split(v)).transpose(1, 2).reshape(batch, steps, width)


def gpt_block(p, ids, training=True, key=None):
    def lin(x, name):
        return F.linear(x, p[name + ".weight"], p.get(name + ".bias"))
    def ln(x, name):
        return F.layer_norm(x, (x.shape[-1],), p[name + ".gamma"], p[name + ".beta"], 1e-5)
    x = F.embedding(ids.long(), p["wte.weight"]) + p["pos"]
    h = ln(x, "ln_1")
    y = x + lin(masked_attention(lin(h, "q"), lin(h, "k"), lin(h, "v"), 2), "proj")
    m = y + lin(F.gelu(lin(ln(y, "ln_2"), "fc")), "fc_proj")
    return lin(ln(m, "ln_f"), "head")


def recurrent_module(kind, p, prefix, width, layers):
    """torch.nn.LSTM / nn.GRU (batch_first) whose parameters are p's tensors
    `<prefix>.<PyTorch's name>`, so that gradients and updates reach them."""
    module_type = torch.nn.LSTM if kind == "lstm" else torch.nn.GRU
    hidden = p[f"{prefix}.weight_hh_l0"].shape[1]
    module = module_type(width, hidden, num_layers=layers, batch_first=True)
    for name in list(module._flat_weights_names):
        delattr(module, name)
        setattr(module, name, p[f"{prefix}.{name}"])
    return module


def lstm_tokens(p, ids, training=True, key=None):
    x = F.embedding(ids.long(), p["wte.weight"])
    # One module per layer: the dropout between them is the runtime's mask.
    for layer in range(2):
        if layer > 0:
            x = dropout(x, 0.2, 0, key, training)
        layer_p = {f"rnn.{name}_l0": p[f"rnn.{name}_l{layer}"]
                   for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        x = recurrent_module("lstm", layer_p, "rnn", x.shape[-1], 1)(x)[0]
    return F.linear(x, p["head.weight"], p["head.bias"])


def gru_tokens(p, ids, training=True, key=None):
    x = F.embedding(ids.long(), p["wte.weight"])
    h = recurrent_module("gru", p, "rnn", x.shape[-1], 2)(x)[0]
    return F.linear(h, p["head.weight"], p["head.bias"])


def hand_rnn(p, ids, training=True, key=None):
    def lin(h, name):
        return F.linear(h, p[name + ".weight"], p[name + ".bias"])
    e = F.embedding(ids.long(), p["wte.weight"])
    h = torch.tanh(lin(e[:, 0], "start"))
    states = [h]
    for t in range(5):  # one cell, applied at every step
        h = torch.tanh(lin(e[:, t + 1], "cell.ih") + lin(h, "cell.hh"))
        states.append(h)
    return lin(torch.stack(states, dim=1), "head")


def shared_block(p, x, training=True, key=None):
    def lin(h, name):
        return F.linear(h, p[name + ".weight"], p[name + ".bias"])
    h = lin(x, "embed")
    for _ in range(3):  # one module, applied three times
        h = h + lin(torch.tanh(lin(h, "mix.dense_0")) * p["mix.gain"], "mix.dense_1")
    return lin(h, "head")


def binary(p, x, training=True, key=None):
    h = F.linear(x, p["dense_0.weight"], p["dense_0.bias"])
    h = F.gelu(F.layer_norm(h, (16,), p["layer_norm_0.gamma"], p["layer_norm_0.beta"], 1e-5))
    return F.linear(h, p["dense_1.weight"], p["dense_1.bias"])


def elementwise(p, x, training=True, key=None):
    a = F.linear(x, p["dense_0.weight"])
    b = F.linear(x, p["dense_1.weight"], p["dense_1.bias"])
    h = (torch.maximum(a, b) - torch.minimum(a, 0.5 * b) + torch.sqrt(torch.abs(a) + 1.0)
         - torch.log(1.0 + torch.exp(-torch.abs(b))))
    h = h / (1.0 + torch.square(h).mean(dim=1).reshape(-1, 1))
    return F.linear(h, p["dense_2.weight"], p["dense_2.bias"])


def dropout_mlp(p, x, training=True, key=None):
    h = dropout(F.relu(F.linear(x, p["embed.weight"], p["embed.bias"])), 0.1, 0, key, training)
    h = dropout(F.relu(F.linear(h, p["dense_0.weight"], p["dense_0.bias"])), 0.2, 1, key,
                training)
    return F.linear(h, p["dense_1.weight"], p["dense_1.bias"])


def cross_entropy(logits, y):
    return F.cross_entropy(logits, y)


def token_cross_entropy(logits, y):
    """The mean over every position of a sequence, as language models train."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def token_accuracy(logits, y):
    return (logits.argmax(dim=-1) == y).double().mean().item()


def masked_cross_entropy(logits, y):
    """The mean over the positions whose label is not -100."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1).long(),
                           ignore_index=-100)


def masked_accuracy(logits, y):
    kept = y != -100
    return (logits.argmax(dim=-1)[kept] == y[kept]).double().mean().item()


def mse(pred, t):
    return F.mse_loss(pred, t)


def bce_with_logits(logits, t):
    return F.binary_cross_entropy_with_logits(logits, t)


def l1_loss(pred, t):
    return F.l1_loss(pred, t)


def huber(pred, t):
    return F.huber_loss(pred, t, delta=0.5)


def accuracy(logits, y):
    return (logits.argmax(dim=1) == y).double().mean().item()


def macro(score):
    """A macro average over the classes that occur among labels or predictions
    (runtime/src/metrics.cpp)."""
    def metric(logits, y):
        predicted = logits.argmax(dim=1)
        values = []
        for k in range(logits.shape[1]):
            tp = ((predicted == k) & (y == k)).sum().item()
            n_predicted, n_actual = (predicted == k).sum().item(), (y == k).sum().item()
            if n_predicted or n_actual:
                values.append(score(tp, n_predicted, n_actual))
        return sum(values) / len(values)
    return metric


def ratio(a, b):
    return a / b if b else 0.0


precision = macro(lambda tp, predicted, actual: ratio(tp, predicted))
recall = macro(lambda tp, predicted, actual: ratio(tp, actual))
f1 = macro(lambda tp, predicted, actual: ratio(2 * tp, predicted + actual))


def mae(pred, t):
    return (pred - t).abs().double().mean().item()


def rmse(pred, t):
    return math.sqrt((pred - t).double().square().mean().item())


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


# Known: gradc's Adam computes its bias corrections 1 - βᵗ, its step size and
# AdamW's decay factor in the tensors' precision, where torch.optim uses double
# (Python floats). In f32, β₂ = 0.999 alone rounds 1 - β₂ by 1.3e-5, so these
# models' f32 weights carry a systematic error ~10-50 times PyTorch's. The fix
# belongs in compiler/lib/Transforms/TrainStep.cpp (the scalars in f64 through
# nn.cast) together with tests/lit/Transforms/train-step-adam.gc.


def mlp_spec(data="fashion", **settings):
    return dict(data=data, net=mlp, loss=cross_entropy, batch=64,
                metrics=dict(accuracy=accuracy), **settings)


# Each entry mirrors tests/e2e/models/<name>.gc: data, network, loss, metrics,
# batch size, torch.optim optimizer and schedule, the regularization, clipping
# and frozen parameters of `train { }`, and whether batches are shuffled.
MODELS = {
    "mlp_sgd": mlp_spec(optimizer=sgd(lr=0.1)),
    "mlp_momentum": mlp_spec(optimizer=sgd(lr=0.05, momentum=0.9)),
    "mlp_nesterov": mlp_spec(optimizer=sgd(lr=0.05, momentum=0.9, nesterov=True,
                                           weight_decay=1e-3)),
    "mlp_adam": mlp_spec(optimizer=adam(lr=1e-3)),
    "mlp_silu": dict(data="fashion", net=silu_mlp, loss=cross_entropy, batch=64,
                     metrics=dict(accuracy=accuracy), optimizer=adam(lr=1e-3)),
    "mlp_adamw": mlp_spec(optimizer=adamw(lr=2e-3, betas=(0.8, 0.99), weight_decay=0.05)),
    "mlp_rmsprop": mlp_spec(data="blobs", optimizer=rmsprop(lr=1e-3)),
    "mlp_rmsprop_momentum": mlp_spec(data="blobs",
                                     optimizer=rmsprop(lr=1e-3, alpha=0.9, eps=1e-6,
                                                       momentum=0.5, weight_decay=1e-3)),
    "mlp_l2_clip": mlp_spec(optimizer=sgd(lr=0.1, momentum=0.9), l2=1e-3,
                            clip_grad_norm=0.5),
    "mlp_dropout_freeze": dict(data="fashion", net=dropout_mlp, loss=cross_entropy, batch=64,
                               metrics=dict(accuracy=accuracy, precision=precision,
                                            recall=recall, f1=f1),
                               optimizer=sgd(lr=0.2, momentum=0.9),
                               frozen=("embed.weight", "embed.bias"), shuffle=True),
    "regression_mse": dict(data="regression", net=regressor, loss=mse, batch=32,
                           metrics=dict(mae=mae, rmse=rmse), optimizer=adam(lr=1e-2)),
    "cnn_batchnorm": dict(data="fashion_images", net=cnn, loss=cross_entropy, batch=32,
                          metrics=dict(accuracy=accuracy), optimizer=sgd(lr=0.1, momentum=0.9),
                          schedule=dict(step_size=4, gamma=0.5), shuffle=True),
    "cnn_pooling": dict(data="fashion_images", net=pooling, loss=cross_entropy, batch=32,
                        metrics=dict(accuracy=accuracy),
                        optimizer=sgd(lr=0.05, momentum=0.9, weight_decay=1e-3)),
    "bce_layernorm": dict(data="binary", net=binary, loss=bce_with_logits, batch=32,
                          metrics={}, optimizer=adam(lr=1e-2, betas=(0.85, 0.995), eps=1e-7),
                          l1=1e-4, clip_grad_value=0.05),
    "elementwise_l1": dict(data="smooth", net=elementwise, loss=l1_loss, batch=23,
                           metrics=dict(rmse=rmse), optimizer=adam(lr=2e-2),
                           exponential=0.998, clip_grad_norm=0.5),
    "sequence_huber": dict(data="sequence", net=sequence, loss=huber, batch=16,
                           metrics=dict(mae=mae), optimizer=adamw(lr=5e-3, weight_decay=0.1),
                           lr_lambda=cosine(steps=200, warmup=3, min_lr=1e-4, lr=5e-3)),
    "next_token": dict(data="tokens", net=next_token, loss=token_cross_entropy, batch=16,
                       metrics=dict(accuracy=token_accuracy), optimizer=adam(lr=1e-2)),
    "causal_attention": dict(data="tokens", net=causal_attention, loss=token_cross_entropy,
                             batch=16, metrics=dict(accuracy=token_accuracy),
                             optimizer=adam(lr=1e-2)),
    "gpt_block": dict(data="tokens", net=gpt_block, loss=token_cross_entropy, batch=16,
                      metrics=dict(accuracy=token_accuracy),
                      optimizer=adamw(lr=1e-2, weight_decay=0.01)),
    "hand_rnn": dict(data="tokens", net=hand_rnn, loss=token_cross_entropy, batch=16,
                     metrics=dict(accuracy=token_accuracy), optimizer=adam(lr=1e-2)),
    "shared_block": dict(data="fashion", net=shared_block, loss=cross_entropy, batch=32,
                         metrics=dict(accuracy=accuracy), optimizer=adam(lr=1e-3)),
    "masked_tokens": dict(data="masked_tokens", net=next_token, loss=masked_cross_entropy,
                          batch=16, metrics=dict(accuracy=masked_accuracy),
                          optimizer=adam(lr=1e-2)),
    "lstm_tokens": dict(data="tokens", net=lstm_tokens, loss=token_cross_entropy, batch=16,
                        metrics=dict(accuracy=token_accuracy), optimizer=adam(lr=1e-2)),
    "gru_tokens": dict(data="tokens", net=gru_tokens, loss=token_cross_entropy, batch=16,
                       metrics=dict(accuracy=token_accuracy),
                       optimizer=sgd(lr=0.5, momentum=0.9)),
    "sequence_slices": dict(data="sequence", net=sequence_slices, loss=mse, batch=16,
                            metrics=dict(mae=mae), optimizer=adam(lr=5e-3)),
}

# Saved with the weights but not trained (batch-norm running statistics).
BUFFER_SUFFIXES = (".running_mean", ".running_var")


# ------------------------------------------------------------------- training

def as_torch(array, dtype):
    """Floating-point data in the program's precision; integers as int64."""
    tensor = torch.from_numpy(array)
    return tensor.to(dtype) if tensor.is_floating_point() else tensor.long()


def evaluate(spec, params, x, y, prefix=""):
    """The loss and metrics of the whole set, as one record of the log."""
    with torch.no_grad():
        out = spec["net"](params, x, training=False)
        record = {prefix + "loss": spec["loss"](out, y).item()}
        for name, metric in spec["metrics"].items():
            record[prefix + name] = metric(out, y)
    return record


def torch_train(spec, weights, x, y, steps, dtype, seed):
    """`steps` optimizer steps from `weights` on full batches (drop_last) in
    file order, or in the trainer's shuffled order with spec["shuffle"], as
    the trainer takes them with --seed `seed`.
    Returns the final weights and one record per epoch as the program logs it:
    the mean loss of the epoch's steps, the metrics of their batches (in
    training mode, before each update), and the loss and metrics of the whole
    set in evaluation mode at the end of the epoch (test_*)."""
    frozen = spec.get("frozen", ())
    params = {name: torch.tensor(value, dtype=dtype,
                                 requires_grad=not name.endswith(BUFFER_SUFFIXES)
                                 and name not in frozen)
              for name, value in weights.items()}
    trainable = [p for p in params.values() if p.requires_grad]
    optimizer = spec["optimizer"](trainable)
    scheduler = None
    if spec.get("schedule"):
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, **spec["schedule"])
    if spec.get("exponential"):
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, spec["exponential"])
    if spec.get("lr_lambda"):
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, spec["lr_lambda"])
    x, y = as_torch(x, dtype), as_torch(y, dtype)
    batch = spec["batch"]
    per_epoch = x.shape[0] // batch
    records, losses, outputs, labels = [], [], [], []
    for step in range(steps):
        b = step % per_epoch
        if b == 0:
            order = torch.tensor(epoch_order(seed, step // per_epoch, x.shape[0])
                                 if spec.get("shuffle") else range(x.shape[0]))
        xb, yb = x[order[b * batch:(b + 1) * batch]], y[order[b * batch:(b + 1) * batch]]
        optimizer.zero_grad()
        out = spec["net"](params, xb, training=True, key=step_dropout_key(seed, step))
        loss = spec["loss"](out, yb)
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
        losses.append(loss.item())
        outputs.append(out.detach())
        labels.append(yb)
        if b == per_epoch - 1 or step == steps - 1:
            record = {"loss": sum(losses) / len(losses)}
            for name, metric in spec["metrics"].items():
                record[name] = metric(torch.cat(outputs), torch.cat(labels))
            record.update(evaluate(spec, params, x, y, "test_"))
            records.append(record)
            losses, outputs, labels = [], [], []
    return {name: p.detach().numpy() for name, p in params.items()}, records


def run(command, **kw):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, **kw)
    if result.returncode != 0:
        raise RuntimeError("`%s` exited with %d:\n%s" % (" ".join(command), result.returncode,
                                                        result.stdout))
    return result.stdout


def read_log(path):
    """The epoch records of a --log FILE.csv: their losses and metrics."""
    not_compared = ("record", "epoch", "step", "lr", "grad_norm", "seconds")
    with open(path) as f:
        return [{key: float(value) for key, value in row.items() if key not in not_compared}
                for row in csv.DictReader(f) if row.get("record", "epoch") == "epoch"]


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


def compare(ours, theirs, initial, frozen, rtol, atol):
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
        if key in frozen and not np.array_equal(ours[key], initial[key]):
            problems.append("%s changed, but it is frozen" % key)
        # (A gradient can be 0 but for rounding: conv2d's bias before batch_norm.)
        moved = not close(theirs[key], initial[key], rtol, atol)
        if moved and np.array_equal(ours[key], initial[key]):
            problems.append("%s did not change" % key)
    return problems, worst_rel, worst_used


def compare_logs(ours, theirs, samples, rtol, atol):
    """Problems between the program's epoch records and PyTorch's. Losses and
    regression metrics are compared with the weights' tolerances; counting
    metrics may differ by one sample in f32, where a near-tie of two logits
    can round either way."""
    if len(ours) != len(theirs) or any(sorted(a) != sorted(b) for a, b in zip(ours, theirs)):
        return ["the log has %s, PyTorch %s" % (ours, theirs)]
    counting = ("accuracy", "precision", "recall", "f1")
    problems = []
    for epoch, (a, b) in enumerate(zip(ours, theirs), 1):
        for key in sorted(a):
            if key.replace("test_", "") in counting:
                ok = abs(a[key] - b[key]) <= (0 if atol < 1e-9 else 1.0 / samples) + 1e-12
            else:
                ok = close(a[key], b[key], rtol, atol)
            if not ok:
                problems.append("epoch %d: %s %.9g, PyTorch %.9g" % (epoch, key, a[key], b[key]))
    return problems


def check_precision(name, spec, args, folder, x, y, precision):
    """Trains `steps` steps in gradc (compiled for `precision`) and in
    PyTorch; returns the problems found and a summary."""
    rtol, atol = TOLERANCES[precision]
    program = os.path.join(folder, "%s_%s" % (name, precision))
    flags = ["--f64"] if precision == "f64" else []
    run([args.gradc, os.path.join(args.models, name + ".gc"), *flags, "-o", program])
    xs, ys = os.path.join(folder, "x.npy"), os.path.join(folder, "y.npy")
    data = ["--data", xs, "--labels", ys, "--seed", str(SEED)]
    if not spec.get("shuffle"):
        data.append("--no-shuffle")
    w0 = os.path.join(folder, "w0_%s.safetensors" % precision)
    w10 = os.path.join(folder, "w%d_%s.safetensors" % (args.steps, precision))
    log = os.path.join(folder, "steps%d_%s.csv" % (args.steps, precision))
    run([program, "--init-only", "--seed", str(SEED), "--save", w0])
    # The training data is the test data too, evaluated after every epoch.
    run([program, *data, "--test", xs, "--test-labels", ys, "--steps", str(args.steps),
         "--load", w0, "--save", w10, "--log", log])

    # Fusion and memory planning change no value: the same steps without
    # them end with bitwise the same weights.
    unfused = program + "_unfused"
    run([args.gradc, os.path.join(args.models, name + ".gc"), *flags, "-fno-fuse", "-fno-plan",
         "-o", unfused])
    w10_unfused = os.path.join(folder, "w%d_%s_unfused.safetensors" % (args.steps, precision))
    run([unfused, *data, "--steps", str(args.steps), "--load", w0, "--save", w10_unfused])
    problems_unfused = []
    fused_w, unfused_w = read_safetensors(w10), read_safetensors(w10_unfused)
    if sorted(fused_w) != sorted(unfused_w) or any(
            fused_w[k].tobytes() != unfused_w[k].tobytes() for k in fused_w):
        worst = max(max_relative(fused_w[k], unfused_w[k]) for k in fused_w)
        problems_unfused.append("weights with and without fusion and planning differ "
                                "(max relative difference %.3g)" % worst)

    # Steps that keep their gradients to themselves (-fno-step-gradients)
    # compute the same updates.
    private = program + "_private_grads"
    run([args.gradc, os.path.join(args.models, name + ".gc"), *flags, "-fno-step-gradients",
         "-o", private])
    w10_private = os.path.join(folder, "w%d_%s_private.safetensors" % (args.steps, precision))
    run([private, *data, "--steps", str(args.steps), "--load", w0, "--save", w10_private])
    private_w = read_safetensors(w10_private)
    if sorted(fused_w) != sorted(private_w) or any(
            fused_w[k].tobytes() != private_w[k].tobytes() for k in fused_w):
        worst = max(max_relative(fused_w[k], private_w[k]) for k in fused_w)
        problems_unfused.append("weights with and without -fno-step-gradients differ "
                                "(max relative difference %.3g)" % worst)

    initial = read_safetensors(w0)
    dtype = torch.float64 if precision == "f64" else torch.float32
    theirs, records = torch_train(spec, initial, x, y, args.steps, dtype, SEED)
    trained = read_safetensors(w10)
    problems, worst_rel, worst_used = compare(trained, theirs, initial, spec.get("frozen", ()),
                                              rtol, atol)
    problems += compare_logs(read_log(log), records, len(x), rtol, atol)
    problems += problems_unfused

    # Prediction from the trained weights: full batches through predict, the
    # rest one by one through predict_one.
    out = os.path.join(folder, "predict_%s.npy" % precision)
    run([program, "--predict", xs, "--out", out, "--load", w10])
    with torch.no_grad():
        params = {k: torch.tensor(v, dtype=dtype) for k, v in trained.items()}
        expected = spec["net"](params, as_torch(x, dtype), training=False).numpy()
    predicted = np.load(out)
    if predicted.shape != expected.shape or not close(predicted, expected, rtol, atol):
        problems.append("predictions differ (max relative difference %.3g)"
                        % max_relative(predicted, expected))
    summary = "%s rel %.1e tol %.2f" % (precision, worst_rel, worst_used)
    if precision == "f32":
        found, text = check_accuracy(spec, initial, trained, theirs, x, y, args.steps)
        problems += found
        summary += " " + text
    problems = ["%s: %s" % (precision, p) for p in problems]
    return problems, program, data, w0, summary


def mean_error(weights, reference):
    """The mean over all elements of |w - ref| / (atol + rtol |ref|), f32's tolerances."""
    rtol, atol = TOLERANCES["f32"]
    errors = [np.abs(weights[k].astype(np.float64) - reference[k]) / (atol + rtol * np.abs(
        reference[k])) for k in sorted(reference)]
    return float(np.mean(np.concatenate([e.ravel() for e in errors])))


def check_accuracy(spec, initial, ours, theirs, x, y, steps):
    """Whether gradc's f32 training is as accurate as PyTorch's: both against
    PyTorch in float64 from the same f32 initial weights. A systematic
    rounding error (a scalar computed in f32 that torch.optim computes in
    double, a long float running sum) shows as a mean error many times
    PyTorch's, well before it breaks allclose. Returns the problems and a
    summary: the ratio of the two mean errors."""
    exact, _ = torch_train(spec, initial, x, y, steps, torch.float64, SEED)
    ours_error, torch_error = mean_error(ours, exact), mean_error(theirs, exact)
    text = "err %.1fx" % (ours_error / max(torch_error, 1e-12))
    accurate = ours_error <= 2 * torch_error + 0.001
    if accurate:
        return [], text
    return ["f32 training is less accurate than PyTorch's: mean error against float64 "
            "%.2g, PyTorch f32's %.2g (in units of the tolerance)"
            % (ours_error, torch_error)], text


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
    run([program, *data, "--threads", "1", "--steps", str(args.long_steps), "--load", w0,
         "--log", log])
    curve = [record["loss"] for record in read_log(log)]
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
