#!/usr/bin/python3
"""Cross-checks every vector-Jacobian product rule of the nn dialect against PyTorch.

For every op that implements DifferentiableOpInterface (read from NNOps.td,
including the ops that inherit it from an op class, so a new differentiable
op without a check fails this test) and for a small table of shapes
(broadcast, size-1 and non-square), the script writes a module

    func.func @forward(<params>, <inputs>, %upstream) -> (tensor<f64> {nn.role = #nn.role<loss>}, ...)

whose loss is `sum(op(args) * upstream)` for a fixed random tensor `upstream`,
so every output element receives a distinct upstream gradient. Operands that
carry a gradient are parameters (`nn.role = #nn.role<param>`); labels, ids, random
keys, masks and running statistics are `nn.role = #nn.role<input>`. The module goes
through `gradc-opt --gradc-autodiff`, `@loss_grad` runs in `gradc-interp` on
random f64 inputs (fixed seed), and the loss, the op's output and every
gradient are compared with torch.autograd on the same computation in float64:
the largest absolute difference must be at most 1e-9 · max(1, max |expected|).

Inputs stay away from kinks (relu, abs, max) except in deliberate tests of
PyTorch's conventions there: ties of maximum, minimum and reduce_max, where
both split the gradient evenly, ties in a max_pool2d window (the first
maximum), and relu, leaky_relu, abs and sign at 0. Dropout is compared with
the mask read back from the forward output (mask = y / x).

    vjp_crosscheck_torch.py --gradc-opt build/bin/gradc-opt --gradc-interp build/bin/gradc-interp

Prints one line per op and shape and a final "N passed, M failed"; exits
non-zero on any failure.
"""

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

from nn_testing import ELEMENT_TYPES, NNOPS_TD

TOL = 1e-9

rng = np.random.default_rng(20240917)


def randn(*shape):
    return np.asarray(rng.standard_normal(shape))


def away_from_zero(*shape, margin=0.1):
    """Normal samples pushed at least `margin` away from 0 (kinks of relu, abs, ...)."""
    x = randn(*shape)
    return np.asarray(np.where(x >= 0, x + margin, x - margin))


def positive(*shape):
    return np.asarray(np.abs(randn(*shape)) + 0.5)


def randint(low, high, *shape):
    return rng.integers(low, high, shape).astype(np.int32)


def mlir_type(shape_or_array, element="f64"):
    if isinstance(shape_or_array, np.ndarray):
        element = ELEMENT_TYPES[shape_or_array.dtype]
        shape = shape_or_array.shape
    else:
        shape = tuple(shape_or_array)
    return "tensor<" + "".join(f"{d}x" for d in shape) + element + ">"


def fattr(value):
    return f"{value:.17e} : f64"


def ints(values):
    return "[" + ", ".join(str(v) for v in values) + "]"


def pair(values):
    return "array<i64: " + ", ".join(str(v) for v in values) + ">"


def shape_text(shape):
    return "x".join(str(d) for d in shape) if shape else "scalar"


#===------------------------------------------------------------------------===#
# The differentiable ops of the dialect, from the ODS
#===------------------------------------------------------------------------===#

DIFFERENTIABLE_TRAITS = ("NN_Differentiable", "NN_DifferentiableExcept")


def differentiable_ops():
    """Mnemonics of the ops of NNOps.td that implement DifferentiableOpInterface,
    directly or through their op class."""
    with open(NNOPS_TD) as f:
        text = re.sub(r"//[^\n]*", "", f.read())

    def header(start):
        """The declaration from `start` up to its body or semicolon."""
        end = len(text)
        for stop in ("{", ";"):
            position = text.find(stop, start)
            if position != -1:
                end = min(end, position)
        return text[start:end]

    def marked(declaration):
        return any(re.search(rf"\b{trait}\b", declaration) for trait in DIFFERENTIABLE_TRAITS)

    # Op classes, in order: a class is differentiable when it names the trait
    # or derives from a differentiable class.
    classes = {}
    for match in re.finditer(r"^class\s+(NN_\w+)", text, re.MULTILINE):
        declaration = header(match.start())
        base = re.search(r":\s*(NN_\w+)", declaration)
        classes[match.group(1)] = marked(declaration) or bool(base and classes.get(base.group(1)))

    ops = set()
    for match in re.finditer(r'^def\s+NN_\w+\s*:\s*(NN_\w+)\s*<\s*"(\w+)"', text, re.MULTILINE):
        base, mnemonic = match.group(1), match.group(2)
        if marked(header(match.start())) or classes.get(base, False):
            ops.add(mnemonic)
    return sorted(ops)


#===------------------------------------------------------------------------===#
# One case: build @forward, differentiate, run, compare with torch.autograd
#===------------------------------------------------------------------------===#

Arg = collections.namedtuple("Arg", "name array param")


def P(name, array):
    """An operand that carries a gradient: a trainable parameter."""
    return Arg(name, np.asarray(array), True)


def I(name, array):
    """An operand without a gradient (label, ids, key, mask, statistics)."""
    return Arg(name, np.asarray(array), False)


def t(array):
    return torch.from_numpy(np.array(array))


class Checker:
    def __init__(self, opt, interp, workdir, keep):
        self.opt = opt
        self.keep = keep
        self.interp = interp
        self.workdir = workdir
        self.count = 0
        self.lines = []            # (ok, text)
        self.covered = set()
        self.max_diff = collections.defaultdict(float)  # op -> largest scaled difference

    def report(self, ok, op, label, text):
        line = f"{'PASS' if ok else 'FAIL'} nn.{op} [{label}]: {text}"
        self.lines.append((ok, line))
        print(line, flush=True)

    def case(self, op, label, args, body, torch_fn, out_shape=None):
        """One cross-check of `op`'s VJP.

        `body` defines %y (the op's output, an f64 tensor) from the arguments;
        it is formatted with {NAME} -> the MLIR type of argument NAME and {y}
        -> the type of %y. `torch_fn(tensors, got)` computes y in torch from
        the argument tensors by name (parameters require grad); `got` holds
        gradc's results [loss, y, grads...] for checks that need them.
        """
        self.covered.add(op)
        self.count += 1
        case_dir = os.path.join(self.workdir, f"case{self.count}_{op}")
        os.makedirs(case_dir)
        try:
            if out_shape is None:
                with torch.no_grad():
                    out_shape = tuple(torch_fn({a.name: t(a.array) for a in args}, None).shape)
            upstream = randn(*out_shape)
            got = self.run_gradc(case_dir, args, body, out_shape, upstream)

            tensors = {}
            for a in args:
                tensors[a.name] = t(a.array).requires_grad_(a.param)
            y = torch_fn(tensors, got)
            loss = (y * t(upstream)).sum()
            params = [tensors[a.name] for a in args if a.param]
            grads = torch.autograd.grad(loss, params, allow_unused=True)
            expected = [loss.detach().numpy(), y.detach().numpy()]
            names = ["loss", "y"]
            for a, g in zip([a for a in args if a.param], grads):
                expected.append(np.zeros_like(a.array) if g is None else g.numpy())
                names.append(f"d{a.name}")
            if len(got) != len(expected):
                raise RuntimeError(f"@loss_grad returned {len(got)} results, expected {len(expected)}")
            worst = 0.0
            problems = []
            for name, g, e in zip(names, got, expected):
                e = np.asarray(e)
                if g.dtype != e.dtype or g.shape != e.shape:
                    problems.append(f"{name}: got {g.dtype}{list(g.shape)}, "
                                    f"expected {e.dtype}{list(e.shape)}")
                    continue
                if not np.all(np.isfinite(g)):
                    problems.append(f"{name}: non-finite values")
                    continue
                scale = max(1.0, float(np.max(np.abs(e), initial=0.0)))
                diff = float(np.max(np.abs(g - e), initial=0.0)) / scale
                worst = max(worst, diff)
                if not diff <= TOL:
                    problems.append(f"{name}: max abs diff {diff:.3e} (scaled) > {TOL:.0e}")
            self.max_diff[op] = max(self.max_diff[op], worst)
            if problems:
                where = f" (in {case_dir})" if self.keep else " (rerun with --keep DIR to keep the case)"
                self.report(False, op, label, "; ".join(problems) + where)
            else:
                self.report(True, op, label, f"max diff {worst:.2e}")
        except Exception as error:  # noqa: BLE001 - any failure is a failed case
            self.report(False, op, label, f"{type(error).__name__}: {error}")

    def run_gradc(self, case_dir, args, body, out_shape, upstream):
        y_type = mlir_type(out_shape)
        types = {a.name: mlir_type(a.array) for a in args}
        types["y"] = y_type
        signature = []
        for a in args:
            if a.param:
                attrs = f'{{nn.role = #nn.role<param>, nn.name = "{a.name}"}}'
            else:
                attrs = '{nn.role = #nn.role<input>}'
            signature.append(f"%{a.name}: {types[a.name]} {attrs}")
        signature.append(f'%upstream: {y_type} {{nn.role = #nn.role<input>}}')
        rank = len(out_shape)
        if rank:
            loss_ops = (f"  %weighted = nn.mul %y, %upstream : {y_type}, {y_type} -> {y_type}\n"
                        f"  %loss = nn.reduce_sum %weighted {ints(range(rank))} : {y_type} -> tensor<f64>\n")
        else:
            loss_ops = f"  %loss = nn.mul %y, %upstream : {y_type}, {y_type} -> {y_type}\n"
        lines = "\n".join("  " + line.strip() for line in body.format(**types).strip().splitlines())
        text = (f"func.func @forward({', '.join(signature)})\n"
                f'    -> (tensor<f64> {{nn.role = #nn.role<loss>}}, {y_type} {{nn.role = #nn.role<output>}}) {{\n'
                f"{lines}\n{loss_ops}"
                f"  return %loss, %y : tensor<f64>, {y_type}\n}}\n")
        forward = os.path.join(case_dir, "forward.mlir")
        grad = os.path.join(case_dir, "grad.mlir")
        with open(forward, "w") as f:
            f.write(text)
        proc = subprocess.run([self.opt, forward, "--gradc-autodiff", "-o", grad],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"gradc-opt --gradc-autodiff failed on {forward}:\n{proc.stderr}")
        command = [self.interp, grad, "--entry", "loss_grad", "--output-dir", case_dir]
        for index, array in enumerate([a.array for a in args] + [upstream]):
            path = os.path.join(case_dir, f"input{index}.npy")
            np.save(path, array)
            command += ["--input", path]
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"gradc-interp failed on {grad}:\n{proc.stderr}")
        results = []
        index = 0
        while os.path.exists(os.path.join(case_dir, f"result{index}.npy")):
            results.append(np.load(os.path.join(case_dir, f"result{index}.npy")))
            index += 1
        return results


#===------------------------------------------------------------------------===#
# Checks, one function per op family
#===------------------------------------------------------------------------===#

def check_constant(c):
    # A constant carries no gradient; the ops that use it differentiate
    # through it with the constant's value.
    values = randn(2, 3)
    literal = "[" + ", ".join("[" + ", ".join(f"{v:.17e}" for v in row) + "]" for row in values) + "]"
    c.case("constant", "x 2x3 * dense 2x3 + splat", [P("x", randn(2, 3))],
           f"""%k = nn.constant dense<{literal}> : tensor<2x3xf64>
               %h = nn.constant dense<2.5> : tensor<f64>
               %m = nn.mul %x, %k : {{x}}, tensor<2x3xf64> -> {{y}}
               %y = nn.add %m, %h : {{y}}, tensor<f64> -> {{y}}""",
           lambda a, _: a["x"] * t(values) + 2.5)
    c.case("constant", "dense 3 - x 4x3", [P("x", randn(4, 3))],
           """%k = nn.constant dense<[1.5, -2.0, 0.25]> : tensor<3xf64>
              %y = nn.sub %k, %x : tensor<3xf64>, {x} -> {y}""",
           lambda a, _: t([1.5, -2.0, 0.25]) - a["x"])


BINARY = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
    "maximum": torch.maximum, "minimum": torch.minimum, "pow": torch.pow,
}
BROADCAST_SHAPES = [((3, 4), (3, 4)), ((2, 1, 4), (3, 1)), ((5,), (2, 3, 1)), ((), (2, 3)),
                    ((4, 1), ()), ((1,), (1,)), ((2, 3), (1, 3))]


def binary_operands(op, lhs_shape, rhs_shape):
    a, b = randn(*lhs_shape), randn(*rhs_shape)
    if op == "div":
        b = away_from_zero(*rhs_shape, margin=0.5)
    if op == "pow":
        a = positive(*lhs_shape)
    return a, b


def check_binary(c):
    body = "%y = nn.{op} %a, %b : {{a}}, {{b}} -> {{y}}"
    for op, fn in BINARY.items():
        for lhs_shape, rhs_shape in BROADCAST_SHAPES:
            a, b = binary_operands(op, lhs_shape, rhs_shape)
            c.case(op, f"{shape_text(lhs_shape)} , {shape_text(rhs_shape)}",
                   [P("a", a), P("b", b)], body.format(op=op),
                   lambda v, _, fn=fn: fn(v["a"], v["b"]))
        # Only one operand carries a gradient.
        a, b = binary_operands(op, (2, 3), (3,))
        c.case(op, "2x3 param , 3 input", [P("a", a), I("b", b)], body.format(op=op),
               lambda v, _, fn=fn: fn(v["a"], v["b"]))
        c.case(op, "2x3 input , 3 param", [I("a", a), P("b", b)], body.format(op=op),
               lambda v, _, fn=fn: fn(v["a"], v["b"]))
        # Fan-out: the same value as both operands (a tie for maximum/minimum).
        a = positive(3, 2) if op == "pow" else randn(3, 2)
        c.case(op, "a , a (same value)", [P("a", a)], f"%y = nn.{op} %a, %a : {{a}}, {{a}} -> {{y}}",
               lambda v, _, fn=fn: fn(v["a"], v["a"]))

    # pow at base 0, where a^p is differentiable in p (p > 0: constant 0) and
    # in a (p = 0: constant 1; p >= 1): both gradients are 0 there, as in
    # torch, not 0 * log 0 or 0 * 0^-1. And a negative base with integer
    # exponents, whose gradient with respect to the base is defined.
    a = np.array([[0.0, 0.0, 1.5], [0.0, 2.0, 0.7]])
    p = np.array([[2.0, 0.0, 1.3], [3.0, -1.0, 0.0]])
    c.case("pow", "base 0 , exponent 0 / 2 / 3", [P("a", a), P("b", p)], body.format(op="pow"),
           lambda v, _: torch.pow(v["a"], v["b"]))
    a = randn(3, 4)
    p = rng.integers(-2, 4, (4,)).astype(np.float64)
    c.case("pow", "negative base 3x4 , integer exponents 4 (input)", [P("a", a), I("b", p)],
           body.format(op="pow"), lambda v, _: torch.pow(v["a"], v["b"]))

    # Deliberate ties: torch.maximum / torch.minimum split the gradient evenly,
    # and so does gradc, including across a broadcast.
    for op in ["maximum", "minimum"]:
        a = rng.integers(-2, 3, (4, 5)).astype(np.float64)
        b = rng.integers(-2, 3, (4, 5)).astype(np.float64)
        c.case(op, "ties 4x5 , 4x5", [P("a", a), P("b", b)], body.format(op=op),
               lambda v, _, fn=BINARY[op]: fn(v["a"], v["b"]))
        a = randn(3, 4)
        b = a[1].copy()
        b[2] = 10.0 if op == "minimum" else -10.0
        c.case(op, "ties 3x4 , 4 (broadcast row equal to row 1)", [P("a", a), P("b", b)],
               body.format(op=op), lambda v, _, fn=BINARY[op]: fn(v["a"], v["b"]))


def check_select(c):
    body = "%y = nn.select %c, %a, %b : {c}, {a}, {b} -> {y}"
    for c_shape, a_shape, b_shape in [((3, 4), (3, 4), (3, 4)), ((2, 1, 4), (3, 1), (2, 3, 4)),
                                      ((4,), (), (2, 4)), ((1,), (2, 3), (1, 3))]:
        cond = rng.random(c_shape) < 0.5
        c.case("select", f"{shape_text(c_shape)} ? {shape_text(a_shape)} : {shape_text(b_shape)}",
               [I("c", cond), P("a", randn(*a_shape)), P("b", randn(*b_shape))], body,
               lambda v, _: torch.where(v["c"], v["a"], v["b"]))
    cond = rng.random((3, 2)) < 0.5
    c.case("select", "3x2 ? param : input", [I("c", cond), P("a", randn(3, 2)), I("b", randn(2))],
           body, lambda v, _: torch.where(v["c"], v["a"], v["b"]))


def check_cast(c):
    for shape in [(3, 4), (), (1, 5)]:
        c.case("cast", f"f64 -> f32 -> f64 {shape_text(shape)}", [P("x", randn(*shape))],
               f"""%h = nn.cast %x : {{x}} -> {mlir_type(shape, 'f32')}
                   %y = nn.cast %h : {mlir_type(shape, 'f32')} -> {{y}}""",
               lambda v, _: v["x"].to(torch.float32).to(torch.float64))
    # An integer-valued cast that the gradient does not cross.
    mask = rng.random((2, 3)) < 0.5
    c.case("cast", "i1 mask -> f64, times x", [P("x", randn(2, 3)), I("m", mask)],
           """%f = nn.cast %m : {m} -> {y}
              %y = nn.mul %x, %f : {x}, {y} -> {y}""",
           lambda v, _: v["x"] * v["m"].to(torch.float64))


UNARY = {
    "neg": (torch.neg, randn), "exp": (torch.exp, randn), "log": (torch.log, positive),
    "sqrt": (torch.sqrt, positive), "rsqrt": (torch.rsqrt, positive),
    "abs": (torch.abs, away_from_zero), "sign": (torch.sign, away_from_zero),
    "square": (torch.square, randn), "erf": (torch.erf, randn),
    "relu": (torch.relu, away_from_zero), "sigmoid": (torch.sigmoid, randn),
    "tanh": (torch.tanh, randn), "gelu": (F.gelu, randn), "softplus": (F.softplus, randn),
    "silu": (F.silu, randn),
}
UNARY_SHAPES = [(3, 5), (1,), (), (2, 1, 3)]


def check_unary(c):
    for op, (fn, sample) in UNARY.items():
        for shape in UNARY_SHAPES:
            x = sample(*shape)
            if sample is randn:
                x = x * 2.5
            c.case(op, shape_text(shape), [P("x", x)], f"%y = nn.{op} %x : {{x}}",
                   lambda v, _, fn=fn: fn(v["x"]))
    # At the kinks themselves gradc follows PyTorch's documented convention
    # (relu and leaky_relu select by x > 0, abs uses sign(0) = 0).
    x = np.array([0.0, -0.0, 1.5, -2.0])
    for op, fn in [("relu", torch.relu), ("abs", torch.abs), ("sign", torch.sign)]:
        c.case(op, "at 0 (PyTorch's convention)", [P("x", x)], f"%y = nn.{op} %x : {{x}}",
               lambda v, _, fn=fn: fn(v["x"]))
    c.case("leaky_relu", "at 0 (PyTorch's convention)", [P("x", x)],
           "%y = nn.leaky_relu %x : {x}", lambda v, _: F.leaky_relu(v["x"]))
    # Large logits: the derivative of softplus is sigmoid without overflow.
    x = np.array([-15.0, -3.0, 0.5, 3.0, 15.0])
    c.case("softplus", "large |x|", [P("x", x)], "%y = nn.softplus %x : {x}",
           lambda v, _: F.softplus(v["x"]))


def check_leaky_relu(c):
    for shape in [(4, 3), (1,), ()]:
        x = away_from_zero(*shape)
        c.case("leaky_relu", f"{shape_text(shape)} default slope", [P("x", x)],
               "%y = nn.leaky_relu %x : {x}", lambda v, _: F.leaky_relu(v["x"]))
    x = away_from_zero(2, 5)
    c.case("leaky_relu", "2x5 slope 0.2", [P("x", x)],
           f"%y = nn.leaky_relu %x {{{{slope = {fattr(0.2)}}}}} : {{x}}",
           lambda v, _: F.leaky_relu(v["x"], 0.2))


def check_shape_ops(c):
    for shape, target in [((2, 3, 4), (4, 1, 6)), ((2, 3, 4), (24,)), ((6,), (2, 3)), ((), (1, 1)),
                          ((1, 5), (5, 1))]:
        c.case("reshape", f"{shape_text(shape)} -> {shape_text(target)}", [P("x", randn(*shape))],
               "%y = nn.reshape %x : {x} -> {y}", lambda v, _, s=target: v["x"].reshape(s))

    for shape, perm in [((2, 3, 4), [2, 0, 1]), ((2, 3, 4), [1, 2, 0]), ((2, 3, 4), [1, 0, 2]),
                        ((1, 3), [1, 0]), ((2, 1, 3, 4), [0, 2, 3, 1]), ((3, 4), [0, 1])]:
        c.case("transpose", f"{shape_text(shape)} {perm}", [P("x", randn(*shape))],
               f"%y = nn.transpose %x {ints(perm)} : {{x}} -> {{y}}",
               lambda v, _, p=perm: v["x"].permute(*p))

    for shape, target in [((3,), (2, 3)), ((2, 1, 4), (3, 2, 5, 4)), ((), (2, 2)), ((1, 1), (1, 3)),
                          ((4, 1), (4, 3))]:
        c.case("broadcast_to", f"{shape_text(shape)} -> {shape_text(target)}",
               [P("x", randn(*shape))], "%y = nn.broadcast_to %x : {x} -> {y}",
               lambda v, _, s=target: torch.broadcast_to(v["x"], s))

    a, b, d = randn(2, 1, 3), randn(2, 4, 3), randn(2, 2, 3)
    c.case("concat", "axis 1: 2x1x3, 2x4x3, 2x2x3", [P("a", a), P("b", b), P("d", d)],
           "%y = nn.concat %a, %b, %d {{axis = 1 : i64}} : ({a}, {b}, {d}) -> {y}",
           lambda v, _: torch.cat([v["a"], v["b"], v["d"]], 1))
    c.case("concat", "axis 0: 2x1x3, 1x1x3", [P("a", a), P("b", randn(1, 1, 3))],
           "%y = nn.concat %a, %b {{axis = 0 : i64}} : ({a}, {b}) -> {y}",
           lambda v, _: torch.cat([v["a"], v["b"]], 0))
    c.case("concat", "axis 2: 2x1x3, 2x1x1 input, 2x1x2", [P("a", a), I("b", randn(2, 1, 1)),
                                                          P("d", randn(2, 1, 2))],
           "%y = nn.concat %a, %b, %d {{axis = 2 : i64}} : ({a}, {b}, {d}) -> {y}",
           lambda v, _: torch.cat([v["a"], v["b"], v["d"]], 2))
    c.case("concat", "one input 3x2", [P("a", randn(3, 2))],
           "%y = nn.concat %a {{axis = 0 : i64}} : ({a}) -> {y}", lambda v, _: v["a"] * 1.0)
    x = randn(3)
    c.case("concat", "same value twice, 3 ++ 3", [P("a", x)],
           "%y = nn.concat %a, %a {{axis = 0 : i64}} : ({a}, {a}) -> {y}",
           lambda v, _: torch.cat([v["a"], v["a"]], 0))

    y = randn(4, 5, 3)
    for start, size in [([1, 2, 0], [2, 3, 3]), ([3, 0, 2], [1, 5, 1]), ([0, 0, 0], [4, 5, 1]),
                        ([1, 1, 1], [2, 3, 1])]:
        index = tuple(slice(s, s + n) for s, n in zip(start, size))
        c.case("slice", f"4x5x3 at {start} size {shape_text(size)}", [P("x", y)],
               f"%y = nn.slice %x {ints(start)} : {{x}} -> {{y}}",
               lambda v, _, i=index: v["x"][i])
    c.case("slice", "5 at [2] size 2", [P("x", randn(5))], "%y = nn.slice %x [2] : {x} -> {y}",
           lambda v, _: v["x"][2:4])


REDUCTION_CASES = [((3, 4, 5), [1], False), ((3, 4, 5), [0, 2], False), ((3, 4, 5), [0, 2], True),
                   ((3, 4, 5), [0, 1, 2], False), ((3, 4, 5), [2], True), ((1, 4), [0], False),
                   ((2, 1, 3), [1], True), ((4,), [0], True), ((2, 3), [], False)]


def check_reductions(c):
    reducers = {
        "reduce_sum": lambda v, axes, keep: torch.sum(v, axes, keep) if axes else v * 1.0,
        "reduce_mean": lambda v, axes, keep: torch.mean(v, axes, keep) if axes else v * 1.0,
        "reduce_max": lambda v, axes, keep: torch.amax(v, axes, keep) if axes else v * 1.0,
    }
    for op, fn in reducers.items():
        for shape, axes, keep in REDUCTION_CASES:
            attr = " {{keep_dims = true}}" if keep else ""
            c.case(op, f"{shape_text(shape)} axes {axes}{' keep_dims' if keep else ''}",
                   [P("x", randn(*shape))], f"%y = nn.{op} %x {ints(axes)}{attr} : {{x}} -> {{y}}",
                   lambda v, _, fn=fn, a=axes, k=keep: fn(v["x"], a, k))
    # torch.amax shares the gradient evenly among tied maxima; so does gradc.
    x = rng.integers(0, 3, (4, 6)).astype(np.float64)
    for axes in [[1], [0, 1]]:
        c.case("reduce_max", f"ties 4x6 axes {axes}", [P("x", x)],
               f"%y = nn.reduce_max %x {ints(axes)} : {{x}} -> {{y}}",
               lambda v, _, a=axes: torch.amax(v["x"], a))


MATMUL_CASES = [((3, 4), (4, 5), False, False),
                ((2, 3, 4), (4, 2), False, False),
                ((3, 4), (2, 4, 5), False, False),
                ((2, 1, 3, 4), (3, 4, 5), False, False),
                ((4, 3), (4, 5), True, False),
                ((3, 4), (5, 4), False, True),
                ((4, 3), (5, 4), True, True),
                ((2, 4, 3), (4, 5), True, False),
                ((2, 3, 4), (1, 5, 4), False, True),
                ((2, 1, 4, 3), (3, 5, 4), True, True),
                ((1, 1), (1, 1), False, False),
                ((1, 3), (3, 1), False, False)]


def check_matmul(c):
    for a_shape, b_shape, ta, tb in MATMUL_CASES:
        flags = [name for name, on in [("transpose_lhs", ta), ("transpose_rhs", tb)] if on]
        attr = " {{" + ", ".join(flags) + "}}" if flags else ""

        def fn(v, _, ta=ta, tb=tb):
            a, b = v["a"], v["b"]
            return torch.matmul(a.transpose(-1, -2) if ta else a, b.transpose(-1, -2) if tb else b)

        c.case("matmul", f"{shape_text(a_shape)}{'^T' if ta else ''} @ {shape_text(b_shape)}{'^T' if tb else ''}",
               [P("a", randn(*a_shape)), P("b", randn(*b_shape))],
               f"%y = nn.matmul %a, %b{attr} : {{a}}, {{b}} -> {{y}}", fn)
    c.case("matmul", "3x4 input @ 4x2 param", [I("a", randn(3, 4)), P("b", randn(4, 2))],
           "%y = nn.matmul %a, %b : {a}, {b} -> {y}", lambda v, _: v["a"] @ v["b"])


def check_linear(c):
    for x_shape, w_shape in [((5, 3), (4, 3)), ((1, 1), (2, 1)), ((2, 6), (1, 6))]:
        x, w, b = randn(*x_shape), randn(*w_shape), randn(w_shape[0])
        c.case("linear", f"x {shape_text(x_shape)}, w {shape_text(w_shape)}, bias",
               [P("x", x), P("w", w), P("b", b)],
               "%y = nn.linear %x, %w, %b : ({x}, {w}, {b}) -> {y}",
               lambda v, _: F.linear(v["x"], v["w"], v["b"]))
        c.case("linear", f"x {shape_text(x_shape)}, w {shape_text(w_shape)}, no bias",
               [P("x", x), P("w", w)], "%y = nn.linear %x, %w : ({x}, {w}) -> {y}",
               lambda v, _: F.linear(v["x"], v["w"]))
    x, w, b = randn(3, 2), randn(4, 2), randn(4)
    c.case("linear", "x input 3x2, w 4x2, bias", [I("x", x), P("w", w), P("b", b)],
           "%y = nn.linear %x, %w, %b : ({x}, {w}, {b}) -> {y}",
           lambda v, _: F.linear(v["x"], v["w"], v["b"]))


CONV_CASES = [  # x shape, weight shape, stride, padding
    ((2, 3, 7, 6), (4, 3, 3, 2), (2, 1), (1, 2)),
    ((1, 1, 5, 5), (2, 1, 1, 1), (1, 1), (0, 0)),
    ((2, 2, 6, 6), (3, 2, 2, 2), (3, 3), (0, 0)),  # rows/columns no window reads
    ((1, 2, 4, 5), (1, 2, 5, 3), (1, 2), (2, 1)),
]


def check_conv(c):
    for x_shape, w_shape, stride, padding in CONV_CASES:
        x, w, b = randn(*x_shape), randn(*w_shape), randn(w_shape[0])
        attrs = f"{{{{stride = {pair(stride)}, padding = {pair(padding)}}}}}"
        label = f"x {shape_text(x_shape)} w {shape_text(w_shape)} stride {list(stride)} pad {list(padding)}"
        c.case("conv2d", label + " bias", [P("x", x), P("w", w), P("b", b)],
               f"%y = nn.conv2d %x, %w, %b {attrs} : ({{x}}, {{w}}, {{b}}) -> {{y}}",
               lambda v, _, s=stride, p=padding: F.conv2d(v["x"], v["w"], v["b"], s, p))
        c.case("conv2d", label, [P("x", x), P("w", w)],
               f"%y = nn.conv2d %x, %w {attrs} : ({{x}}, {{w}}) -> {{y}}",
               lambda v, _, s=stride, p=padding: F.conv2d(v["x"], v["w"], None, s, p))
    x_shape, w_shape, stride, padding = CONV_CASES[0]
    attrs = f"{{{{stride = {pair(stride)}, padding = {pair(padding)}}}}}"
    c.case("conv2d", "input x, param w and bias",
           [I("x", randn(*x_shape)), P("w", randn(*w_shape)), P("b", randn(w_shape[0]))],
           f"%y = nn.conv2d %x, %w, %b {attrs} : ({{x}}, {{w}}, {{b}}) -> {{y}}",
           lambda v, _: F.conv2d(v["x"], v["w"], v["b"], stride, padding))


POOL_CASES = [  # x shape, kernel, stride, padding
    ((2, 3, 6, 5), (2, 2), (2, 2), (0, 0)),
    ((1, 2, 7, 6), (3, 2), (2, 1), (1, 1)),  # overlapping windows, padding
    ((2, 1, 5, 5), (3, 3), (1, 1), (1, 0)),
    ((1, 1, 1, 1), (1, 1), (1, 1), (0, 0)),
    ((1, 2, 5, 4), (2, 3), (3, 1), (0, 1)),  # rows no window reads
]


def check_pooling(c):
    for x_shape, kernel, stride, padding in POOL_CASES:
        attrs = f"{{{{kernel = {pair(kernel)}, stride = {pair(stride)}, padding = {pair(padding)}}}}}"
        for op, fn in [("max_pool2d", F.max_pool2d), ("avg_pool2d", F.avg_pool2d)]:
            c.case(op, f"{shape_text(x_shape)} kernel {list(kernel)} stride {list(stride)} pad {list(padding)}",
                   [P("x", randn(*x_shape))], f"%y = nn.{op} %x {attrs} : {{x}} -> {{y}}",
                   lambda v, _, fn=fn, k=kernel, s=stride, p=padding: fn(v["x"], k, s, p))
    # Ties in a window: the gradient goes to the first maximum, as PyTorch.
    x_shape, kernel, stride, padding = POOL_CASES[1]
    attrs = f"{{{{kernel = {pair(kernel)}, stride = {pair(stride)}, padding = {pair(padding)}}}}}"
    c.case("max_pool2d", f"ties {shape_text(x_shape)} kernel {list(kernel)} stride {list(stride)}",
           [P("x", rng.integers(0, 3, x_shape).astype(np.float64))],
           f"%y = nn.max_pool2d %x {attrs} : {{x}} -> {{y}}",
           lambda v, _: F.max_pool2d(v["x"], kernel, stride, padding))


def check_batch_norm(c):
    for shape, eps, momentum in [((6, 4), 1e-5, 0.1), ((3, 2, 4, 5), 1e-3, 0.3), ((2, 1), 1e-5, 1.0),
                                 ((4, 3, 1, 1), 1e-5, 0.1)]:
        channels = shape[1]
        x = randn(*shape) * 2 + 1
        gamma, beta = randn(channels), randn(channels)
        rm, rv = randn(channels), np.abs(randn(channels)) + 0.5
        stat = mlir_type((channels,))
        attrs = f"{{{{eps = {fattr(eps)}, momentum = {fattr(momentum)}}}}}"
        c.case("batch_norm_train", f"{shape_text(shape)} eps {eps}",
               [P("x", x), P("g", gamma), P("b", beta), I("rm", rm), I("rv", rv)],
               f"%y, %mean, %var, %nrm, %nrv = nn.batch_norm_train %x, %g, %b, %rm, %rv {attrs}"
               f" : ({{x}}, {{g}}, {{b}}, {{rm}}, {{rv}}) -> ({{y}}, {stat}, {stat}, {stat}, {stat})",
               lambda v, _, e=eps, m=momentum: F.batch_norm(v["x"], None, None, v["g"], v["b"], True, m, e))
    shape = (5, 3)
    c.case("batch_norm_train", "5x3 input x, param gamma/beta",
           [I("x", randn(*shape)), P("g", randn(3)), P("b", randn(3)), I("rm", randn(3)),
            I("rv", positive(3))],
           "%y, %mean, %var, %nrm, %nrv = nn.batch_norm_train %x, %g, %b, %rm, %rv"
           " : ({x}, {g}, {b}, {rm}, {rv}) -> ({y}, {g}, {g}, {g}, {g})",
           lambda v, _: F.batch_norm(v["x"], None, None, v["g"], v["b"], True, 0.1, 1e-5))


    # Evaluation mode: the running statistics fixed, x, gamma and beta trained.
    for shape in [(6, 4), (3, 2, 4, 5)]:
        channels = shape[1]
        stat = mlir_type((channels,))
        c.case("batch_norm_eval", f"{shape_text(shape)} running statistics",
               [P("x", randn(*shape) * 2 + 1), P("g", randn(channels)), P("b", randn(channels)),
                I("rm", randn(channels)), I("rv", positive(channels))],
               "%y = nn.batch_norm_eval %x, %g, %b, %rm, %rv {{eps = 1.0e-3 : f64}}"
               " : ({x}, {g}, {b}, {rm}, {rv}) -> {y}",
               lambda v, _: F.batch_norm(v["x"], v["rm"], v["rv"], v["g"], v["b"], False, 0.1, 1e-3))


def check_layer_norm(c):
    for shape, eps in [((2, 3, 5), 1e-5), ((4, 1), 1e-3), ((7,), 1e-5), ((3, 2), 1e-5)]:
        x, gamma, beta = randn(*shape) * 3, randn(shape[-1]), randn(shape[-1])
        attrs = f"{{{{eps = {fattr(eps)}}}}}"
        c.case("layer_norm", f"{shape_text(shape)} eps {eps}", [P("x", x), P("g", gamma), P("b", beta)],
               f"%y = nn.layer_norm %x, %g, %b {attrs} : ({{x}}, {{g}}, {{b}}) -> {{y}}",
               lambda v, _, s=shape[-1:], e=eps: F.layer_norm(v["x"], s, v["g"], v["b"], e))


def check_attention(c):
    for (b, tq, tk, width, heads, causal) in [(2, 4, 4, 4, 2, True), (1, 3, 5, 6, 3, False)]:
        attrs = f"{{{{heads = {heads} : i64{', causal' if causal else ''}, scale = {fattr(0.7)}}}}}"
        lse = mlir_type((b, heads, tq))
        def attend(v, _, heads=heads, causal=causal):
            q, k, val = v["q"], v["k"], v["v"]
            d = width // heads
            def split(x):
                return x.reshape(b, x.shape[1], heads, d).transpose(1, 2)
            scores = torch.matmul(split(q), split(k).transpose(-1, -2)) * 0.7
            if causal:
                mask = torch.tril(torch.ones(tq, tk, dtype=torch.bool))
                scores = scores.masked_fill(~mask, float("-inf"))
            y = torch.matmul(torch.softmax(scores, dim=-1), split(val))
            return y.transpose(1, 2).reshape(b, tq, width)
        c.case("attention", f"q [{b}, {tq}, {width}] keys {tk} heads {heads} causal {causal}",
               [P("q", randn(b, tq, width)), P("k", randn(b, tk, width)), P("v", randn(b, tk, width))],
               f"%y, %lse = nn.attention %q, %k, %v {attrs} : ({{q}}, {{k}}, {{v}}) -> ({{q}}, {lse})",
               attend)


def check_recurrent(c):
    """nn.lstm and nn.gru against torch.nn.LSTM / nn.GRU with the same weights
    (batch_first, one layer): x and every weight and bias receive gradients."""
    for module_type, op, gates, saved in [(torch.nn.LSTM, "lstm", 4, (4, 1)),
                                          (torch.nn.GRU, "gru", 3, (4,))]:
        for batch, steps, width, hidden in [(2, 5, 3, 4), (1, 1, 1, 1), (3, 2, 4, 2)]:
            def layer(v, _, module_type=module_type, width=width, hidden=hidden):
                module = module_type(width, hidden, batch_first=True)
                for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
                    delattr(module, name)
                    setattr(module, name, v[name])
                return module(v["x"])[0]
            extra = ", ".join(mlir_type((steps, batch, w * hidden)) for w in saved)
            names = ", ".join(f"%s{i}" for i in range(len(saved)))
            c.case(op, f"x [{batch}, {steps}, {width}] hidden {hidden}",
                   [P("x", randn(batch, steps, width)),
                    P("weight_ih_l0", randn(gates * hidden, width) * 0.6),
                    P("weight_hh_l0", randn(gates * hidden, hidden) * 0.6),
                    P("bias_ih_l0", randn(gates * hidden) * 0.5),
                    P("bias_hh_l0", randn(gates * hidden) * 0.5)],
                   f"%y, {names} = nn.{op} %x, %weight_ih_l0, %weight_hh_l0, %bias_ih_l0, %bias_hh_l0"
                   " : ({x}, {weight_ih_l0}, {weight_hh_l0}, {bias_ih_l0}, {bias_hh_l0})"
                   f" -> ({{y}}, {extra})",
                   layer, out_shape=(batch, steps, hidden))


def check_softmax(c):
    cases = [((3, 4, 5), 0), ((3, 4, 5), 1), ((3, 4, 5), 2), ((4, 1), 1), ((2, 3), 0), ((5,), 0)]
    for op, fn in [("softmax", torch.softmax), ("log_softmax", torch.log_softmax)]:
        for shape, axis in cases:
            c.case(op, f"{shape_text(shape)} axis {axis}", [P("x", randn(*shape) * 3)],
                   f"%y = nn.{op} %x {{{{axis = {axis} : i64}}}} : {{x}}",
                   lambda v, _, fn=fn, a=axis: fn(v["x"], a))


def check_cross_entropy(c):
    labels = np.array([1, -100, 3, 0, -100, 2], np.int32)
    c.case("softmax_cross_entropy", "logits 6x4, two labels ignored",
           [P("x", randn(6, 4) * 3), I("labels", labels)],
           "%y = nn.softmax_cross_entropy %x, %labels {{ignore_index = -100 : i64}}"
           " : ({x}, {labels}) -> {y}",
           lambda v, _: F.cross_entropy(v["x"], v["labels"].long(), ignore_index=-100),
           out_shape=())
    for batch, classes in [(6, 4), (1, 3), (5, 1), (3, 7)]:
        c.case("softmax_cross_entropy", f"logits {batch}x{classes}",
               [P("x", randn(batch, classes) * 3), I("labels", randint(0, classes, batch))],
               "%y = nn.softmax_cross_entropy %x, %labels : ({x}, {labels}) -> {y}",
               lambda v, _: F.cross_entropy(v["x"], v["labels"].long()), out_shape=())


def check_embedding(c):
    for rows, dim, ids in [(7, 3, randint(0, 7, 2, 5)), (6, 2, np.array([1, 1, 1, 4], np.int32)),
                           (1, 4, np.zeros((3,), np.int32)), (5, 1, np.array([4], np.int32))]:
        c.case("gather_rows", f"table {rows}x{dim}, ids {shape_text(ids.shape)}",
               [P("table", randn(rows, dim)), I("ids", ids)],
               "%y = nn.gather_rows %table, %ids : ({table}, {ids}) -> {y}",
               lambda v, _: F.embedding(v["ids"].long(), v["table"]))


def check_dropout(c):
    for shape, p, key, stream in [((4, 5), 0.5, 12345, 3), ((2, 3, 4), 0.2, -7, 0),
                                  ((1,), 0.3, 99, 1), ((30,), 0.9, 2**40 + 3, 2**33)]:
        x = away_from_zero(*shape)
        scale = 1.0 / (1.0 - p)

        def fn(v, got, x=x, scale=scale):
            if got is None:  # shape inference only
                return v["x"] * 1.0
            y = got[1]
            mask = np.where(x != 0.0, y / x, 0.0)
            # The mask must be dropout's: zero or 1 / (1 - p) everywhere.
            off = np.minimum(np.abs(mask), np.abs(mask - scale))
            if np.max(off) > 1e-12 * scale:
                raise RuntimeError(f"forward mask has values outside {{0, {scale}}}")
            return v["x"] * t(mask)

        c.case("dropout", f"{shape_text(shape)} p {p} key {key} stream {stream}",
               [P("x", x), I("key", np.array(key, np.int64))],
               f"%y = nn.dropout %x, %key {{{{p = {fattr(p)}, stream = {stream} : i64}}}} : {{x}}, {{key}}",
               fn)


CHECKS = [check_constant, check_binary, check_select, check_cast, check_unary, check_leaky_relu,
          check_shape_ops, check_reductions, check_matmul, check_linear, check_conv, check_pooling,
          check_batch_norm, check_layer_norm, check_attention, check_recurrent, check_softmax, check_cross_entropy,
          check_embedding,
          check_dropout]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gradc-opt", required=True, help="path to the gradc-opt binary")
    parser.add_argument("--gradc-interp", required=True, help="path to the gradc-interp binary")
    parser.add_argument("--keep", metavar="DIR", help="write the test cases to DIR and keep them")
    parser.add_argument("--summary", action="store_true",
                        help="also print the largest difference per op")
    args = parser.parse_args()
    torch.set_default_dtype(torch.float64)

    ops = differentiable_ops()
    with tempfile.TemporaryDirectory(prefix="gradc-vjp-crosscheck-") as tmp:
        workdir = args.keep or tmp
        os.makedirs(workdir, exist_ok=True)
        checker = Checker(args.gradc_opt, args.gradc_interp, workdir, bool(args.keep))
        for check in CHECKS:
            check(checker)

    for op in ops:
        if op not in checker.covered:
            line = f"FAIL nn.{op}: differentiable, but no VJP cross-check for this op"
            checker.lines.append((False, line))
            print(line)
    for op in sorted(checker.covered - set(ops)):
        line = f"FAIL nn.{op}: checked, but NNOps.td does not declare it differentiable"
        checker.lines.append((False, line))
        print(line)

    if args.summary:
        for op in ops:
            if op in checker.max_diff:
                print(f"  nn.{op}: largest scaled difference {checker.max_diff[op]:.2e}")
    passed = sum(1 for ok, _ in checker.lines if ok)
    failed = len(checker.lines) - passed
    print(f"{len(ops)} differentiable ops, {len(checker.covered & set(ops))} checked")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
