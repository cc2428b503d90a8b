#!/usr/bin/python3
"""Imports PyTorch modules exported as ONNX into gradc and trains them against PyTorch.

For every module below and both precisions (gradc's f32, and gradc --f64):
build it in PyTorch (seeded), export it with torch.onnx.export (opset 17,
the batch dimension dynamic, dropout kept in training mode), write a model
file that imports it (`import net from onnx("net.onnx")`) with a loss and a
train section, and compile it. The program's initial weights (--init-only)
must be the module's state_dict, by name and bitwise (in f64: the f32 values
widened). Then the program trains 10 steps in file order (--no-shuffle), and
the module itself trains the same 10 steps with torch.optim on the same
batches: every final weight must match, torch.allclose(gradc, torch,
rtol=1e-4, atol=1e-6) in f32 and rtol=1e-9, atol=1e-12 in f64, as
tests/e2e/torch_crosscheck.py checks the models written in gradc's
language; and the trained program's predictions (--predict) must match the
module's in evaluation mode from the program's trained weights.

Each line reports per precision `rel`, the largest relative difference of a
weight, and `tol`, the fraction of the tolerance used; then `N passed, M
failed`, and exit status 1 on any failure.
"""

import argparse
import concurrent.futures
import os
import sys
import tempfile
import threading
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import torch_crosscheck as tc  # noqa: E402  (shared data and comparisons)

TOLERANCES = {"f32": (1e-4, 1e-6), "f64": (1e-9, 1e-12)}


class Mlp(nn.Module):
    """nn.Sequential's names: 0.weight, 2.bias, ... (Gemm nodes)."""

    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.layers(x)


# An ONNX file stores float constants in f32, so the modules use constants f32
# holds exactly: the f64 program computes with the file's constants, and
# PyTorch in float64 must compute with the same ones.
SQRT2_F32 = float(np.float32(np.sqrt(2.0)))


class GeluViewMlp(nn.Module):
    """Images flattened by x.view(x.size(0), -1) (Shape, Gather, Unsqueeze,
    Concat into Reshape, folded at import), exact GELU written out as
    torch.onnx exports F.gelu (Div, Erf, Add, Mul), a tanh layer and a scale
    (Mul, Div, Sub)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 48)
        self.fc2 = nn.Linear(48, 32)
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        h = x.view(x.size(0), -1)
        h = self.fc1(h)
        h = h * 0.5 * (1.0 + torch.erf(h / SQRT2_F32))
        h = torch.tanh(self.fc2(h)) * 3.0 / 4.0 - 0.125
        return self.head(h)


class MatmulParams(nn.Module):
    """Learned tensors used by MatMul and Add directly (no nn.Linear), a
    LeakyReLU, a sigmoid gate and a mean over features (ReduceMean)."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(784, 32) * 0.05)
        self.b = nn.Parameter(torch.zeros(32))
        self.gate = nn.Linear(32, 32)
        self.out = nn.Linear(32, 10)

    def forward(self, x):
        h = F.leaky_relu(x @ self.w + self.b, 0.125)
        h = h * torch.sigmoid(self.gate(h))
        h = h - h.mean(dim=1, keepdim=True)
        return self.out(h)


class BatchNormCnn(nn.Module):
    """Conv (padding 1, stride 2), batch norm in training mode (running
    statistics updated as buffers), max and average pooling, global average
    pooling, flatten and a linear head."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 8, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8, momentum=0.2, eps=1e-3)
        self.head = nn.Linear(8, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        h = F.avg_pool2d(F.relu(self.bn2(self.conv2(h))), 2, stride=1)
        h = F.adaptive_avg_pool2d(h, 1)
        return self.head(torch.flatten(h, 1))


class DropoutCnn(nn.Module):
    """A CNN with batch norm and dropout in training mode (Dropout with its
    ratio and training_mode as inputs): conv, batch norm, ReLU, dropout, max
    pooling, a strided conv, batch norm, ReLU, flatten, dropout, a linear
    head. PyTorch trains it with gradc's dropout masks (GradcDropout)."""

    def __init__(self):
        super().__init__()
        # No conv bias before a batch norm: its gradient is 0 but for
        # rounding, which SGD's momentum would carry in both frameworks.
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(6)
        self.drop1 = nn.Dropout(0.25)
        self.conv2 = nn.Conv2d(6, 8, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.drop2 = nn.Dropout(0.5)
        self.head = nn.Linear(8 * 7 * 7, 10)

    def forward(self, x):
        h = F.max_pool2d(self.drop1(F.relu(self.bn1(self.conv1(x)))), 2)
        h = F.relu(self.bn2(self.conv2(h)))
        return self.head(self.drop2(torch.flatten(h, 1)))


class GradcDropout(nn.Module):
    """nn.Dropout with the compiled program's masks: the mask of dropout
    stream `stream` (the importer numbers a graph's Dropout nodes in order)
    under the step's key, which torch_train sets (tests/e2e/torch_crosscheck.py
    reproduces the runtime's counter-based masks)."""

    def __init__(self, p, stream):
        super().__init__()
        self.p, self.stream, self.key = p, stream, None

    def forward(self, x):
        return tc.dropout(x, self.p, self.stream, self.key, self.training)


def with_gradc_dropout(module):
    """`module` with its nn.Dropout modules, in order, as GradcDropout."""
    stream = 0
    for parent in list(module.modules()):
        for child_name, child in list(parent.named_children()):
            if isinstance(child, nn.Dropout):
                setattr(parent, child_name, GradcDropout(child.p, stream))
                stream += 1
    return module


class TokenTagger(nn.Module):
    """An embedding (Gather of int ids), layer norm (LayerNormalization),
    a GELU-free MLP and a projection to the vocabulary at every position."""

    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(20, 16)
        self.ln = nn.LayerNorm(16)
        self.fc = nn.Linear(16, 32)
        self.out = nn.Linear(32, 20)

    def forward(self, ids):
        return self.out(torch.tanh(self.fc(self.ln(self.wte(ids)))))


class ResidualCnn(nn.Module):
    """A ResNet-style CNN: a stem convolution, a residual block (conv, batch
    norm, ReLU, conv, batch norm, plus the identity: Add of two computed
    tensors), ReLU, global average pooling and a linear head; trained with
    its stem frozen, in the model file (`freeze "stem.*"`) and in PyTorch
    (requires_grad off, not in the optimizer). (Trained whole with Adam, the
    stem's f32 weights carry rounding noise of the size of the learning
    rate in both frameworks, as tests/e2e/torch_crosscheck.py explains.)"""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 6, 3, padding=1)
        self.conv_a = nn.Conv2d(6, 6, 3, padding=1, bias=False)
        self.bn_a = nn.BatchNorm2d(6)
        self.conv_b = nn.Conv2d(6, 6, 3, padding=1, bias=False)
        self.bn_b = nn.BatchNorm2d(6)
        self.head = nn.Linear(6, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.stem(x)), 2)
        r = self.bn_b(self.conv_b(F.relu(self.bn_a(self.conv_a(h)))))
        h = F.relu(h + r)
        return self.head(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))


def adam(lr):
    return lambda params: torch.optim.Adam(params, lr=lr)


class TransformerTagger(nn.Module):
    """An embedding, one nn.TransformerEncoderLayer (batch_first, post-norm,
    ReLU; self-attention as torch exports it: MatMul of the packed in_proj
    weight, Slice into q/k/v, Reshape/Transpose to heads, MatMul, Div,
    Softmax, MatMul, out_proj; LayerNormalization; a feed-forward block) and
    a projection to the vocabulary at every position. Dropout 0: the
    exported Dropout nodes are the identity."""

    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(20, 16)
        self.layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0,
                                                batch_first=True)
        self.out = nn.Linear(16, 20)

    def forward(self, ids):
        return self.out(self.layer(self.wte(ids)))


class RecurrentTagger(nn.Module):
    """An embedding, a two-layer nn.LSTM (or a one-layer nn.GRU), batch first,
    and a projection to the vocabulary at every position: torch exports each
    layer as an LSTM (GRU) node with its weights reordered to ONNX's gate
    order by Slice and Concat of the state_dict tensors, the sequence
    transposed to time first, and a zero initial state from
    ConstantOfShape."""

    def __init__(self, kind="lstm"):
        super().__init__()
        self.wte = nn.Embedding(20, 8)
        self.rnn = (nn.LSTM(8, 12, num_layers=2, batch_first=True) if kind == "lstm"
                    else nn.GRU(8, 12, batch_first=True))
        self.out = nn.Linear(12, 20)

    def forward(self, ids):
        h, _ = self.rnn(self.wte(ids))
        return self.out(h)


def sgd(lr, momentum):
    return lambda params: torch.optim.SGD(params, lr=lr, momentum=momentum)


CLASSES = "label y: i32[B] classes 10"
TOKENS = "label y: i32[B, 6] classes 20"

# name: (module, data, label declaration, gradc optimizer line, torch optimizer, batch)
MODELS = {
    "onnx_mlp": (Mlp, "fashion", CLASSES, "adam(lr: 1e-3)", adam(1e-3), 64),
    "onnx_gelu_view": (GeluViewMlp, "fashion_images", CLASSES,
                       "sgd(lr: 0.1, momentum: 0.9)", sgd(0.1, 0.9), 32),
    "onnx_matmul_params": (MatmulParams, "fashion", CLASSES, "adam(lr: 1e-3)", adam(1e-3),
                           50),
    "onnx_batchnorm_cnn": (BatchNormCnn, "fashion_images", CLASSES,
                           "sgd(lr: 0.05, momentum: 0.9)", sgd(0.05, 0.9), 32),
    "onnx_dropout_cnn": (DropoutCnn, "fashion_images", CLASSES,
                         "sgd(lr: 0.05, momentum: 0.9)", sgd(0.05, 0.9), 32),
    "onnx_token_tagger": (TokenTagger, "tokens", TOKENS, "adam(lr: 1e-2)", adam(1e-2), 16),
    "onnx_frozen_stem": (ResidualCnn, "fashion_images", CLASSES,
                         "adam(lr: 1e-3)", adam(1e-3), 32),
    # SGD: the key projection's bias has a gradient of 0 but for rounding
    # (softmax ignores a constant added to every score), which Adam would
    # scale up to the learning rate in both frameworks.
    "onnx_lstm": (RecurrentTagger, "tokens", TOKENS, "adam(lr: 1e-2)", adam(1e-2), 16),
    "onnx_gru": (lambda: RecurrentTagger("gru"), "tokens", TOKENS, "adam(lr: 1e-2)",
                 adam(1e-2), 16),
    "onnx_transformer": (TransformerTagger, "tokens", TOKENS, "sgd(lr: 0.1, momentum: 0.9)",
                         sgd(0.1, 0.9), 16),
}

# Parameters frozen in the model file and in PyTorch, by model.
FROZEN = {"onnx_frozen_stem": ("stem",)}

# In the state_dict but not in an exported graph (nothing reads it).
NOT_EXPORTED = (".num_batches_tracked",)

MODEL_FILE = """// {name}: the PyTorch module exported to {name}.onnx
import net from onnx("{name}.onnx")

model {cls} {{
  input x: {dtype}[{shape}]
  {label}
  let logits = net(x)
  loss softmax_cross_entropy(logits, y)
  metric accuracy(logits, y)
  output logits
{freeze}}}

train {{
  optimizer {optimizer}
  batch {batch}
  epochs 1
}}
"""


def export(module, example, path):
    torch.onnx.export(module, example, path, opset_version=17, input_names=["x"],
                      output_names=["logits"], dynamic_axes={"x": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)


def exported_state(module):
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()
            if not k.endswith(NOT_EXPORTED)}


EXPORT_LOCK = threading.Lock()


def torch_train(module, x, y, batch, steps, optimizer, frozen=()):
    for name, p in module.named_parameters():
        p.requires_grad_(name.split(".")[0] not in frozen)
    opt = optimizer([p for p in module.parameters() if p.requires_grad])
    module.train()
    for step in range(steps):
        for m in module.modules():
            if isinstance(m, GradcDropout):
                m.key = tc.step_dropout_key(tc.SEED, step)
        b = step % (x.shape[0] // batch)
        xb, yb = x[b * batch:(b + 1) * batch], y[b * batch:(b + 1) * batch]
        opt.zero_grad()
        out = module(xb)
        F.cross_entropy(out.reshape(-1, out.shape[-1]), yb.reshape(-1)).backward()
        opt.step()
    return exported_state(module)


def check_model(name, args, work):
    factory, data, label, optimizer_line, optimizer, batch = MODELS[name]
    folder = os.path.join(work, name)
    os.makedirs(folder, exist_ok=True)
    x, y = tc.DATA[data]()
    xs, ys = os.path.join(folder, "x.npy"), os.path.join(folder, "y.npy")
    np.save(xs, x)
    np.save(ys, y)
    # Models are checked two at a time; the seed and torch.onnx.export's
    # global state are one model's at a time.
    with EXPORT_LOCK:
        torch.manual_seed(0)
        module = factory()
        example = torch.from_numpy(x[:batch])
        export(module, example.long() if x.dtype == np.int32 else example,
               os.path.join(folder, name + ".onnx"))
    initial = exported_state(module)
    shape = ", ".join(["B"] + [str(d) for d in x.shape[1:]])
    model = os.path.join(folder, name + ".gc")
    with open(model, "w") as f:
        f.write(MODEL_FILE.format(name=name, cls="".join(p.title() for p in name.split("_")),
                                  dtype="i32" if x.dtype == np.int32 else "f32", label=label,
                                  shape=shape, optimizer=optimizer_line, batch=batch,
                                  freeze="".join("  freeze \"%s.*\"\n" % f
                                                 for f in FROZEN.get(name, ()))))
    problems, summaries = [], []
    for precision in ("f32", "f64"):
        rtol, atol = TOLERANCES[precision]
        dtype = torch.float64 if precision == "f64" else torch.float32
        program = os.path.join(folder, "%s_%s" % (name, precision))
        tc.run([args.gradc, model, *(["--f64"] if precision == "f64" else []), "-o", program])
        w0 = os.path.join(folder, "w0_%s.safetensors" % precision)
        tc.run([program, "--init-only", "--save", w0])
        start = tc.read_safetensors(w0)
        if sorted(start) != sorted(initial):
            problems.append("%s: the initial weights are %s, the module's %s"
                            % (precision, sorted(start), sorted(initial)))
            continue
        for key in initial:
            if not np.array_equal(start[key], initial[key].astype(start[key].dtype)):
                problems.append("%s: initial %s is not the module's" % (precision, key))
        w10 = os.path.join(folder, "w%d_%s.safetensors" % (args.steps, precision))
        tc.run([program, "--data", xs, "--labels", ys, "--no-shuffle", "--seed", str(tc.SEED),
                "--steps", str(args.steps), "--save", w10])
        trained = tc.read_safetensors(w10)
        theirs_module = with_gradc_dropout(factory())
        theirs_module.load_state_dict({k: torch.from_numpy(v) for k, v in initial.items()},
                                      strict=False)
        theirs_module = theirs_module.to(dtype)
        xt = torch.from_numpy(x)
        xt = xt.long() if x.dtype == np.int32 else xt.to(dtype)
        frozen = FROZEN.get(name, ())
        theirs = torch_train(theirs_module, xt, torch.from_numpy(y).long(), batch, args.steps,
                             optimizer, frozen)
        frozen_names = [k for k in initial if k.split(".")[0] in frozen]
        found, rel, used = tc.compare(trained, theirs, initial, frozen_names, rtol, atol)
        problems += ["%s: %s" % (precision, p) for p in found]
        out = os.path.join(folder, "predict_%s.npy" % precision)
        tc.run([program, "--predict", xs, "--out", out, "--load", w10])
        # The program's predictions from its trained weights, against the
        # module's from the same weights in evaluation mode.
        trained_module = factory().to(dtype)
        trained_module.load_state_dict({k: torch.from_numpy(v) for k, v in trained.items()},
                                       strict=False)
        trained_module.eval()
        with torch.no_grad():
            expected = trained_module(xt).numpy()
        predicted = np.load(out)
        if predicted.shape != expected.shape or not tc.close(predicted, expected, rtol, atol):
            problems.append("%s: predictions differ (max relative difference %.3g)"
                            % (precision, tc.max_relative(predicted, expected)))
        summaries.append("%s rel %.1e tol %.2f" % (precision, rel, used))
    return problems, "; ".join(summaries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gradc", required=True, help="the gradc binary")
    parser.add_argument("--steps", type=int, default=10)
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
    work = args.keep or tempfile.mkdtemp(prefix="gradc-onnx-")

    def check(name):
        start = time.time()
        try:
            problems, summary = check_model(name, args, work)
        except Exception as error:  # a failed export, compile or run fails the model
            problems, summary = [str(error)], ""
        return problems, summary, time.time() - start

    failed = 0
    # Two models side by side (compiling dominates); results print in order.
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for name, (problems, summary, seconds) in zip(names, pool.map(check, names)):
            failed += bool(problems)
            print("%s %-22s %s (%.1f s)" % ("FAIL" if problems else "PASS", name, summary,
                                            seconds))
            for p in problems:
                print("     " + p.replace("\n", "\n     "))
            sys.stdout.flush()
    print("%d passed, %d failed" % (len(names) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
