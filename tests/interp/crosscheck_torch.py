#!/usr/bin/python3
"""Cross-checks gradc's reference interpreter against PyTorch, op by op.

For every op of the nn dialect (read from NNOps.td, so a new op without a
check fails this test) the script writes small functions into a temporary
directory, runs them with `gradc-interp` on random f64 inputs (fixed seed;
broadcast, size-1 and non-square shapes) and compares the results with the
same computation in torch (float64): max abs difference below 1e-10, integer
and bool results exactly. Backward ops are compared with torch.autograd
gradients of the forward op. Dropout is checked statistically and against
the runtime's counter-based mask formula.

    crosscheck_torch.py --gradc-interp build/bin/gradc-interp

Prints one line per op and a final "N passed, M failed"; exits non-zero on
any failure.
"""

import argparse
import collections
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

from nn_testing import ELEMENT_TYPES, NNOPS_TD

TOL = 1e-10

rng = np.random.default_rng(20240611)


def randn(*shape):
    return np.asarray(rng.standard_normal(shape))


def randint(low, high, *shape):
    return rng.integers(low, high, shape).astype(np.int32)


def t(array):
    return torch.from_numpy(np.array(array))  # a contiguous copy; keeps rank 0


def n(tensor):
    return tensor.detach().numpy()


def mlir_type(array):
    dims = "".join(f"{d}x" for d in array.shape)
    return f"tensor<{dims}{ELEMENT_TYPES[array.dtype]}>"


def fattr(value):
    """An f64 attribute; MLIR float literals need a decimal point."""
    return f"{value:.17e} : f64"


def pair(values):
    return "array<i64: " + ", ".join(str(v) for v in values) + ">"


class Checker:
    def __init__(self, interp, workdir):
        self.interp = interp
        self.workdir = workdir
        self.count = 0
        self.outcomes = collections.OrderedDict()  # op -> list of failure messages

    def run(self, body, inputs, result_types):
        """Runs `body` (defines %r0.. from %a0..) as @main; returns the results."""
        self.count += 1
        case_dir = os.path.join(self.workdir, f"case{self.count}")
        os.makedirs(case_dir)
        args = ", ".join(f"%a{i}: {mlir_type(a)}" for i, a in enumerate(inputs))
        results = ", ".join(result_types)
        returned = ", ".join(f"%r{i}" for i in range(len(result_types)))
        text = (f"func.func @main({args}) -> ({results}) {{\n{body}\n"
                f"  return {returned} : {results}\n}}\n")
        with open(os.path.join(case_dir, "test.mlir"), "w") as f:
            f.write(text)
        command = [self.interp, os.path.join(case_dir, "test.mlir"), "--entry", "main",
                   "--output-dir", case_dir]
        for i, array in enumerate(inputs):
            path = os.path.join(case_dir, f"input{i}.npy")
            np.save(path, array)
            command += ["--input", path]
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"gradc-interp failed on {case_dir}/test.mlir:\n{proc.stderr}")
        return [np.load(os.path.join(case_dir, f"result{i}.npy"))
                for i in range(len(result_types))]

    def check(self, op, body, inputs, expected, tol=TOL):
        """Checks one function against the expected results of `op`.

        `body` is formatted with {t0}.. (input types) and {r0}.. (types of the
        expected results); it must define %r0, %r1, ... for the results."""
        expected = [np.asarray(e) for e in expected]
        types = {f"t{i}": mlir_type(a) for i, a in enumerate(inputs)}
        types.update({f"r{i}": mlir_type(e) for i, e in enumerate(expected)})
        failures = self.outcomes.setdefault(op, [])
        try:
            got = self.run(body.format(**types), inputs, [mlir_type(e) for e in expected])
        except RuntimeError as error:
            failures.append(str(error))
            return
        for i, (g, e) in enumerate(zip(got, expected)):
            problem = compare(g, e, tol)
            if problem:
                failures.append(f"result {i} of case{self.count}: {problem}")

    def fail(self, op, message):
        self.outcomes.setdefault(op, []).append(message)

    def record(self, op):
        self.outcomes.setdefault(op, [])


def compare(got, expected, tol):
    if got.dtype != expected.dtype or got.shape != expected.shape:
        return f"got {got.dtype}{list(got.shape)}, expected {expected.dtype}{list(expected.shape)}"
    if expected.dtype.kind != "f":
        if not np.array_equal(got, expected):
            return f"got {got.tolist()}, expected {expected.tolist()}"
        return None
    if not np.array_equal(np.isnan(got), np.isnan(expected)):
        return "NaN positions differ"
    finite = ~np.isnan(expected)
    if not np.array_equal(got[finite] == np.inf, expected[finite] == np.inf) or \
            not np.array_equal(got[finite] == -np.inf, expected[finite] == -np.inf):
        return "infinite values differ"
    both = finite & np.isfinite(expected)
    diff = np.max(np.abs(got[both] - expected[both]), initial=0.0)
    if tol == 0.0 and diff != 0.0:
        return f"max abs diff {diff:.3e}, expected bit-exact results"
    if tol > 0.0 and not diff < tol:
        return f"max abs diff {diff:.3e} >= {tol:.0e}"
    return None


def dialect_ops():
    """The mnemonics of every op NNOps.td defines."""
    with open(NNOPS_TD) as f:
        text = f.read()
    return sorted(set(re.findall(r'^def NN_\w+\s*:\s*NN_\w+<"(\w+)"', text, re.MULTILINE)))


#===------------------------------------------------------------------------===#
# Checks, one function per op family
#===------------------------------------------------------------------------===#

def check_constant(c):
    values = np.array([[1.5, -2.25, 3.0], [0.0, 1e-300, -7.0]])
    c.check("constant", "  %r0 = nn.constant dense<[[1.5, -2.25, 3.0], [0.0, 1.0e-300, -7.0]]> : {r0}",
            [], [t(values).numpy()])
    c.check("constant", "  %r0 = nn.constant dense<2.5> : {r0}", [], [np.full((2, 3), 2.5)])
    c.check("constant", "  %r0 = nn.constant dense<[3, -4, 2147483647]> : {r0}", [],
            [np.array([3, -4, 2147483647], np.int32)])
    c.check("constant", "  %r0 = nn.constant dense<[true, false]> : {r0}", [],
            [np.array([True, False])])
    c.check("constant", "  %r0 = nn.constant dense<-9007199254740992> : {r0}", [],
            [np.array(-9007199254740992, np.int64)])


BINARY = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
    "maximum": torch.maximum, "minimum": torch.minimum, "pow": torch.pow,
}
BROADCAST_SHAPES = [((3, 4), (3, 4)), ((2, 1, 4), (3, 1)), ((5,), (2, 3, 1)), ((), (2, 3)),
                    ((4, 1), ())]


def check_binary(c):
    body = "  %r0 = nn.{op} %a0, %a1 : {{t0}}, {{t1}} -> {{r0}}"
    for op, fn in BINARY.items():
        for lhs_shape, rhs_shape in BROADCAST_SHAPES:
            a, b = randn(*lhs_shape), randn(*rhs_shape)
            if op == "pow":
                a = np.abs(a) + 0.5
            c.check(op, body.format(op=op), [a, b], [n(fn(t(a), t(b)))])
        # NaN propagates through maximum and minimum as in torch.
        a, b = np.array([np.nan, 1.0, 2.0]), np.array([0.0, np.nan, -1.0])
        c.check(op, body.format(op=op), [a, b], [n(fn(t(a), t(b)))])
        # i32 arithmetic: exact, wrapping; division truncates toward zero.
        a, b = randint(-50, 50, 3, 4), randint(1, 9, 4)
        b[1] = -b[1]
        if op == "div":
            expected = n(torch.div(t(a), t(b), rounding_mode="trunc"))
        elif op == "pow":
            a, b = randint(-5, 6, 3, 4), randint(0, 7, 4)
            expected = n(torch.pow(t(a), t(b)))
        else:
            expected = n(fn(t(a), t(b)))
        c.check(op, body.format(op=op), [a, b], [expected.astype(np.int32)])
    # f32 programs round every result to float, as torch's float32 does.
    a, b = randn(3, 4).astype(np.float32), randn(4).astype(np.float32)
    for op in ["add", "sub", "mul", "div"]:
        c.check(op, body.format(op=op), [a, b], [n(BINARY[op](t(a), t(b)))], tol=0.0)


def check_compare(c):
    torch_ops = {"eq": torch.eq, "ne": torch.ne, "lt": torch.lt, "le": torch.le,
                 "gt": torch.gt, "ge": torch.ge}
    for predicate, fn in torch_ops.items():
        a = np.array([[1.0, np.nan, 2.0, -1.0], [0.5, 3.0, np.nan, 2.0]])
        b = np.array([1.0, 1.0, np.nan, 2.0])
        body = f"  %r0 = nn.compare {predicate}, %a0, %a1 : {{t0}}, {{t1}} -> {{r0}}"
        c.check("compare", body, [a, b], [n(fn(t(a), t(b)))])
        a, b = randint(-2, 3, 2, 1, 3), randint(-2, 3, 4, 1)
        c.check("compare", body, [a, b], [n(fn(t(a), t(b)))])


def check_select(c):
    cond = rng.random((2, 1, 4)) < 0.5
    a, b = randn(3, 1), randn(2, 3, 4)
    body = "  %r0 = nn.select %a0, %a1, %a2 : {t0}, {t1}, {t2} -> {r0}"
    c.check("select", body, [cond, a, b], [n(torch.where(t(cond), t(a), t(b)))])
    a, b = randint(-9, 9, 4), np.array(7, np.int32)
    c.check("select", body, [cond, a, b], [n(torch.where(t(cond), t(a), t(b)))])


def check_cast(c):
    body = "  %r0 = nn.cast %a0 : {t0} -> {r0}"
    x = np.array([[-2.7, -0.5, 0.0], [0.5, 2.7, 1e9]])
    c.check("cast", body, [x], [n(t(x).to(torch.int32))])
    c.check("cast", body, [x], [n(t(x).to(torch.int64))])
    c.check("cast", body, [x], [n(t(x).to(torch.bool))])
    c.check("cast", body, [np.array([np.nan, 0.0, -0.0])], [np.array([True, False, False])])
    x = randn(2, 3)
    c.check("cast", body, [x], [n(t(x).to(torch.float32))], tol=0.0)
    c.check("cast", body, [x.astype(np.float32)], [x.astype(np.float32).astype(np.float64)])
    i = randint(-100, 100, 5)
    c.check("cast", body, [i], [n(t(i).to(torch.float64))])
    c.check("cast", body, [i], [n(t(i).to(torch.int64))])
    c.check("cast", body, [i], [n(t(i).to(torch.bool))])
    m = rng.random((2, 2)) < 0.5
    c.check("cast", body, [m], [n(t(m).to(torch.float64))])
    c.check("cast", body, [m], [n(t(m).to(torch.int32))])
    k = np.array([-3, 5_000_000_000], np.int64)
    c.check("cast", body, [k], [n(t(k).to(torch.int32))])
    c.check("cast", body, [k], [n(t(k).to(torch.float64))])


UNARY = {
    "neg": (torch.neg, "any"), "exp": (torch.exp, "any"), "log": (torch.log, "positive"),
    "sqrt": (torch.sqrt, "positive"), "rsqrt": (torch.rsqrt, "positive"),
    "abs": (torch.abs, "any"), "sign": (torch.sign, "any"), "square": (torch.square, "any"),
    "erf": (torch.erf, "any"), "relu": (torch.relu, "any"), "sigmoid": (torch.sigmoid, "any"),
    "tanh": (torch.tanh, "any"), "gelu": (F.gelu, "any"), "softplus": (F.softplus, "any"),
    "silu": (F.silu, "any"),
}


def check_unary(c):
    for op, (fn, domain) in UNARY.items():
        body = f"  %r0 = nn.{op} %a0 : {{t0}}"
        for shape in [(3, 5), (1,), (), (2, 1, 3)]:
            x = randn(*shape) * 3
            if domain == "positive":
                x = np.abs(x) + 0.1
            c.check(op, body, [x], [n(fn(t(x)))])
        x = np.array([0.0, -0.0, 30.0, -30.0, 1e-8])
        if domain == "positive":
            x = np.abs(x) + 1e-3
        if op == "softplus":  # torch's softplus is linear above 20; ours is exact
            x = np.array([0.0, -0.0, 19.0, -30.0, 1e-8])
        c.check(op, body, [x], [n(fn(t(x)))])


def check_leaky_relu(c):
    x = randn(4, 3)
    c.check("leaky_relu", "  %r0 = nn.leaky_relu %a0 : {t0}", [x], [n(F.leaky_relu(t(x)))])
    c.check("leaky_relu", f"  %r0 = nn.leaky_relu %a0 {{{{slope = {fattr(0.2)}}}}} : {{t0}}",
            [x], [n(F.leaky_relu(t(x), 0.2))])


def check_shape_ops(c):
    x = randn(2, 3, 4)
    c.check("reshape", "  %r0 = nn.reshape %a0 : {t0} -> {r0}", [x], [n(t(x).reshape(4, 1, 6))])
    c.check("reshape", "  %r0 = nn.reshape %a0 : {t0} -> {r0}", [x], [n(t(x).reshape(24))])
    i = randint(0, 9, 2, 3)
    c.check("reshape", "  %r0 = nn.reshape %a0 : {t0} -> {r0}", [i], [n(t(i).reshape(3, 2))])

    for perm in [[2, 0, 1], [1, 0, 2], [0, 1, 2]]:
        body = f"  %r0 = nn.transpose %a0 [{', '.join(map(str, perm))}] : {{t0}} -> {{r0}}"
        c.check("transpose", body, [x], [n(t(x).permute(*perm))])
    m = rng.random((1, 3)) < 0.5
    c.check("transpose", "  %r0 = nn.transpose %a0 [1, 0] : {t0} -> {r0}", [m], [m.T.copy()])

    for shape, target in [((3,), (2, 3)), ((2, 1, 4), (3, 2, 5, 4)), ((), (2, 2)), ((1, 1), (1, 3))]:
        y = randn(*shape)
        c.check("broadcast_to", "  %r0 = nn.broadcast_to %a0 : {t0} -> {r0}", [y],
                [n(torch.broadcast_to(t(y), target))])

    a, b, d = randn(2, 1, 3), randn(2, 4, 3), randn(2, 2, 3)
    c.check("concat", "  %r0 = nn.concat %a0, %a1, %a2 {{axis = 1 : i64}} : ({t0}, {t1}, {t2}) -> {r0}",
            [a, b, d], [n(torch.cat([t(a), t(b), t(d)], 1))])
    c.check("concat", "  %r0 = nn.concat %a0, %a1 {{axis = 0 : i64}} : ({t0}, {t1}) -> {r0}",
            [a, b[:, :1].copy()], [n(torch.cat([t(a), t(b[:, :1].copy())], 0))])
    c.check("concat", "  %r0 = nn.concat %a0, %a1 {{axis = 2 : i64}} : ({t0}, {t1}) -> {r0}",
            [a, d[:, :1].copy()], [n(torch.cat([t(a), t(d[:, :1].copy())], 2))])
    c.check("concat", "  %r0 = nn.concat %a0 {{axis = 0 : i64}} : ({t0}) -> {r0}", [i], [i])

    y = randn(4, 5, 3)
    c.check("slice", "  %r0 = nn.slice %a0 [1, 2, 0] : {t0} -> {r0}", [y], [n(t(y)[1:3, 2:5, 0:3])])
    c.check("slice", "  %r0 = nn.slice %a0 [3, 0, 2] : {t0} -> {r0}", [y], [n(t(y)[3:4, 0:5, 2:3])])
    c.check("slice", "  %r0 = nn.slice %a0 [1, 1] : {t0} -> {r0}", [i], [i[1:2, 1:3].copy()])


def check_reductions(c):
    x = randn(3, 4, 5)
    cases = [([1], False), ([0, 2], False), ([0, 2], True), ([0, 1, 2], False), ([2], True), ([], False)]
    reducers = {
        "reduce_sum": lambda v, axes, keep: torch.sum(v, axes, keep) if axes else v,
        "reduce_mean": lambda v, axes, keep: torch.mean(v, axes, keep) if axes else v,
        "reduce_max": lambda v, axes, keep: torch.amax(v, axes, keep) if axes else v,
    }
    for op, fn in reducers.items():
        for axes, keep in cases:
            attr = " {{keep_dims = true}}" if keep else ""
            body = f"  %r0 = nn.{op} %a0 [{', '.join(map(str, axes))}]{attr} : {{t0}} -> {{r0}}"
            c.check(op, body, [x], [n(fn(t(x), axes, keep))])
        y = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]])
        c.check(op, f"  %r0 = nn.{op} %a0 [1] : {{t0}} -> {{r0}}", [y], [n(fn(t(y), [1], False))])
    i = randint(-100, 100, 4, 3)
    c.check("reduce_sum", "  %r0 = nn.reduce_sum %a0 [0] : {t0} -> {r0}", [i],
            [n(torch.sum(t(i), 0)).astype(np.int32)])
    c.check("reduce_max", "  %r0 = nn.reduce_max %a0 [1] : {t0} -> {r0}", [i], [n(torch.amax(t(i), 1))])
    c.check("reduce_mean", "  %r0 = nn.reduce_mean %a0 [0] : {t0} -> {r0}", [i],
            [n(torch.div(torch.sum(t(i), 0), 4, rounding_mode="trunc")).astype(np.int32)])


def check_argmax(c):
    x = randn(3, 4, 5)
    for axis in range(3):
        c.check("argmax", f"  %r0 = nn.argmax %a0 {{{{axis = {axis} : i64}}}} : {{t0}} -> {{r0}}",
                [x], [n(torch.argmax(t(x), axis)).astype(np.int32)])
    ties = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [0.0, np.nan, 5.0, np.nan]])
    c.check("argmax", "  %r0 = nn.argmax %a0 {{axis = 1 : i64}} : {t0} -> {r0}",
            [ties], [n(torch.argmax(t(ties), 1)).astype(np.int32)])
    i = randint(0, 3, 4, 6)
    c.check("argmax", "  %r0 = nn.argmax %a0 {{axis = 1 : i64}} : {t0} -> {r0}",
            [i], [n(torch.argmax(t(i), 1)).astype(np.int32)])


def check_matmul(c):
    shapes = [((3, 4), (4, 5), "", False, False),
              ((2, 3, 4), (4, 2), "", False, False),
              ((2, 1, 3, 4), (3, 4, 5), "", False, False),
              ((4, 3), (4, 5), " {{transpose_lhs}}", True, False),
              ((2, 3, 4), (1, 5, 4), " {{transpose_rhs}}", False, True),
              ((4, 3), (5, 4), " {{transpose_lhs, transpose_rhs}}", True, True),
              ((1, 1), (1, 1), "", False, False)]
    for a_shape, b_shape, attr, ta, tb in shapes:
        a, b = randn(*a_shape), randn(*b_shape)
        ta_, tb_ = t(a), t(b)
        if ta:
            ta_ = ta_.transpose(-1, -2)
        if tb:
            tb_ = tb_.transpose(-1, -2)
        c.check("matmul", f"  %r0 = nn.matmul %a0, %a1{attr} : {{t0}}, {{t1}} -> {{r0}}",
                [a, b], [n(torch.matmul(ta_, tb_))])


def check_linear(c):
    x, w, b = randn(5, 3), randn(4, 3), randn(4)
    c.check("linear", "  %r0 = nn.linear %a0, %a1, %a2 : ({t0}, {t1}, {t2}) -> {r0}",
            [x, w, b], [n(F.linear(t(x), t(w), t(b)))])
    c.check("linear", "  %r0 = nn.linear %a0, %a1 : ({t0}, {t1}) -> {r0}",
            [x, w], [n(F.linear(t(x), t(w)))])
    x, w = randn(1, 1), randn(2, 1)
    c.check("linear", "  %r0 = nn.linear %a0, %a1 : ({t0}, {t1}) -> {r0}",
            [x, w], [n(F.linear(t(x), t(w)))])


CONV_CASES = [  # x shape, weight shape, stride, padding
    ((2, 3, 7, 6), (4, 3, 3, 2), (2, 1), (1, 2)),
    ((1, 1, 5, 5), (2, 1, 1, 1), (1, 1), (0, 0)),
    ((2, 2, 6, 6), (3, 2, 2, 2), (3, 3), (0, 0)),  # rows/columns no window reads
    ((1, 2, 4, 5), (1, 2, 5, 3), (1, 2), (2, 1)),
]


def conv_attrs(stride, padding):
    return f"{{{{stride = {pair(stride)}, padding = {pair(padding)}}}}}"


def check_conv(c):
    for x_shape, w_shape, stride, padding in CONV_CASES:
        x, w, b = randn(*x_shape), randn(*w_shape), randn(w_shape[0])
        attrs = conv_attrs(stride, padding)
        c.check("conv2d", f"  %r0 = nn.conv2d %a0, %a1, %a2 {attrs} : ({{t0}}, {{t1}}, {{t2}}) -> {{r0}}",
                [x, w, b], [n(F.conv2d(t(x), t(w), t(b), stride, padding))])
        c.check("conv2d", f"  %r0 = nn.conv2d %a0, %a1 {attrs} : ({{t0}}, {{t1}}) -> {{r0}}",
                [x, w], [n(F.conv2d(t(x), t(w), None, stride, padding))])

        tx, tw = t(x).requires_grad_(), t(w).requires_grad_()
        y = F.conv2d(tx, tw, None, stride, padding)
        dy = randn(*y.shape)
        dx, dw = torch.autograd.grad(y, [tx, tw], t(dy))
        c.check("conv2d_backward_input",
                f"  %r0 = nn.conv2d_backward_input %a0, %a1 {attrs} : ({{t0}}, {{t1}}) -> {{r0}}",
                [dy, w], [n(dx)])
        c.check("conv2d_backward_filter",
                f"  %r0 = nn.conv2d_backward_filter %a0, %a1 {attrs} : ({{t0}}, {{t1}}) -> {{r0}}",
                [x, dy], [n(dw)])


POOL_CASES = [  # x shape, kernel, stride, padding
    ((2, 3, 6, 5), (2, 2), (2, 2), (0, 0)),
    ((1, 2, 7, 6), (3, 2), (2, 1), (1, 1)),  # overlapping windows, padding
    ((2, 1, 5, 5), (3, 3), (1, 1), (1, 0)),
    ((1, 1, 1, 1), (1, 1), (1, 1), (0, 0)),
]


def pool_attrs(kernel, stride, padding):
    return f"{{{{kernel = {pair(kernel)}, stride = {pair(stride)}, padding = {pair(padding)}}}}}"


def check_pooling(c):
    for x_shape, kernel, stride, padding in POOL_CASES:
        attrs = pool_attrs(kernel, stride, padding)
        for x in [randn(*x_shape), rng.integers(0, 3, x_shape).astype(np.float64)]:  # ties too
            for op, fn in [("max_pool2d", F.max_pool2d), ("avg_pool2d", F.avg_pool2d)]:
                tx = t(x).requires_grad_()
                y = fn(tx, kernel, stride, padding)
                dy = randn(*y.shape)
                (dx,) = torch.autograd.grad(y, [tx], t(dy))
                c.check(op, f"  %r0 = nn.{op} %a0 {attrs} : {{t0}} -> {{r0}}", [x], [n(y)])
                if op == "max_pool2d":
                    c.check("max_pool2d_backward",
                            f"  %r0 = nn.max_pool2d_backward %a0, %a1 {attrs} : ({{t0}}, {{t1}}) -> {{r0}}",
                            [x, dy], [n(dx)])
                else:
                    c.check("avg_pool2d_backward",
                            f"  %r0 = nn.avg_pool2d_backward %a0 {attrs} : {{t0}} -> {{r0}}",
                            [dy], [n(dx)])


def check_batch_norm(c):
    for shape, eps, momentum in [((6, 4), 1e-5, 0.1), ((3, 2, 4, 5), 1e-3, 0.3), ((2, 1), 1e-5, 1.0)]:
        x = randn(*shape) * 2 + 1
        channels = shape[1]
        gamma, beta = randn(channels), randn(channels)
        rm, rv = randn(channels), np.abs(randn(channels)) + 0.5
        dims = [0] + list(range(2, len(shape)))
        attrs = f"{{{{eps = {fattr(eps)}, momentum = {fattr(momentum)}}}}}"

        new_rm, new_rv = t(rm.copy()), t(rv.copy())
        y = F.batch_norm(t(x), new_rm, new_rv, t(gamma), t(beta), True, momentum, eps)
        mean, var = t(x).mean(dims), t(x).var(dims, unbiased=False)
        c.check("batch_norm_train",
                f"  %r0, %r1, %r2, %r3, %r4 = nn.batch_norm_train %a0, %a1, %a2, %a3, %a4 {attrs}"
                " : ({t0}, {t1}, {t2}, {t3}, {t4}) -> ({r0}, {r1}, {r2}, {r3}, {r4})",
                [x, gamma, beta, rm, rv], [n(y), n(mean), n(var), n(new_rm), n(new_rv)])

        eval_attrs = f"{{{{eps = {fattr(eps)}}}}}"
        y = F.batch_norm(t(x), t(rm), t(rv), t(gamma), t(beta), False, momentum, eps)
        c.check("batch_norm_eval",
                f"  %r0 = nn.batch_norm_eval %a0, %a1, %a2, %a3, %a4 {eval_attrs}"
                " : ({t0}, {t1}, {t2}, {t3}, {t4}) -> {r0}",
                [x, gamma, beta, rm, rv], [n(y)])

        tx, tg, tb = t(x).requires_grad_(), t(gamma).requires_grad_(), t(beta).requires_grad_()
        y = F.batch_norm(tx, None, None, tg, tb, True, momentum, eps)
        dy = randn(*shape)
        dx, dg, db = torch.autograd.grad(y, [tx, tg, tb], t(dy))
        c.check("batch_norm_backward",
                f"  %r0, %r1, %r2 = nn.batch_norm_backward %a0, %a1, %a2, %a3, %a4 {eval_attrs}"
                " : ({t0}, {t1}, {t2}, {t3}, {t4}) -> ({r0}, {r1}, {r2})",
                [x, dy, gamma, n(mean), n(var)], [n(dx), n(dg), n(db)])


def check_layer_norm(c):
    for shape, eps in [((2, 3, 5), 1e-5), ((4, 1), 1e-3), ((7,), 1e-5)]:
        x, gamma, beta = randn(*shape) * 3, randn(shape[-1]), randn(shape[-1])
        attrs = f"{{{{eps = {fattr(eps)}}}}}"
        c.check("layer_norm",
                f"  %r0 = nn.layer_norm %a0, %a1, %a2 {attrs} : ({{t0}}, {{t1}}, {{t2}}) -> {{r0}}",
                [x, gamma, beta], [n(F.layer_norm(t(x), shape[-1:], t(gamma), t(beta), eps))])
        tx, tg, tb = t(x).requires_grad_(), t(gamma).requires_grad_(), t(beta).requires_grad_()
        y = F.layer_norm(tx, shape[-1:], tg, tb, eps)
        dy = randn(*shape)
        dx, dg, db = torch.autograd.grad(y, [tx, tg, tb], t(dy))
        c.check("layer_norm_backward",
                f"  %r0, %r1, %r2 = nn.layer_norm_backward %a0, %a1, %a2 {attrs}"
                " : ({t0}, {t1}, {t2}) -> ({r0}, {r1}, {r2})",
                [x, dy, gamma], [n(dx), n(dg), n(db)])


def torch_attention(q, k, v, heads, causal, scale):
    """Multi-head attention on [B, T, C] tensors; also the logsumexp [B, H, Tq]."""
    b, tq, width = q.shape
    tk, d = k.shape[1], width // heads
    def split(x, steps):
        return x.reshape(b, steps, heads, d).transpose(1, 2)
    scores = torch.matmul(split(q, tq), split(k, tk).transpose(-1, -2)) * scale
    if causal:
        mask = torch.tril(torch.ones(tq, tk, dtype=torch.bool))
        scores = scores.masked_fill(~mask, float("-inf"))
    y = torch.matmul(torch.softmax(scores, dim=-1), split(v, tk))
    return y.transpose(1, 2).reshape(b, tq, width), torch.logsumexp(scores, dim=-1)


def check_attention(c):
    for (b, tq, tk, width, heads, causal) in [(2, 5, 5, 4, 2, True), (1, 3, 7, 6, 3, False)]:
        q, k, v = randn(b, tq, width), randn(b, tk, width), randn(b, tk, width)
        scale = 0.7
        attrs = f"{{{{heads = {heads} : i64{', causal' if causal else ''}, scale = {fattr(scale)}}}}}"
        y, lse = torch_attention(t(q), t(k), t(v), heads, causal, scale)
        c.check("attention",
                f"  %r0, %r1 = nn.attention %a0, %a1, %a2 {attrs}"
                " : ({t0}, {t1}, {t2}) -> ({r0}, {r1})",
                [q, k, v], [n(y), n(lse)])
        tq_, tk_, tv_ = (t(a).requires_grad_() for a in (q, k, v))
        ty, _ = torch_attention(tq_, tk_, tv_, heads, causal, scale)
        dy = randn(b, tq, width)
        dq, dk, dv = torch.autograd.grad(ty, [tq_, tk_, tv_], t(dy))
        c.check("attention_backward",
                f"  %r0, %r1, %r2 = nn.attention_backward %a0, %a1, %a2, %a3, %a4, %a5 {attrs}"
                " : ({t0}, {t1}, {t2}, {t3}, {t4}, {t5}) -> ({r0}, {r1}, {r2})",
                [q, k, v, n(y), n(lse), dy], [n(dq), n(dk), n(dv)])


def torch_recurrent(kind, x, w_ih, w_hh, b_ih, b_hh):
    """nn.LSTM / nn.GRU (batch_first, one layer, zero initial state) on x [B, T, in]
    with the given weights, stepped by hand (differentiable) and checked against the
    module's output, and the tensors nn.lstm / nn.gru save, in their layout ([T, B, ...])."""
    batch, steps, width = x.shape
    hidden = w_hh.shape[1]
    module = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(width, hidden, batch_first=True)
    with torch.no_grad():
        for name, value in [("weight_ih_l0", w_ih), ("weight_hh_l0", w_hh),
                            ("bias_ih_l0", b_ih), ("bias_hh_l0", b_hh)]:
            getattr(module, name).copy_(value)
        expected, _ = module(x)
    h = torch.zeros(batch, hidden)
    c = torch.zeros(batch, hidden)
    ys, saved, cells = [], [], []
    for step in range(steps):
        gi = x[:, step] @ w_ih.T + b_ih
        gh = h @ w_hh.T + b_hh
        if kind == "lstm":
            i, f, g, o = (gi + gh).chunk(4, dim=1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            saved.append(torch.cat([i, f, g, o], dim=1))
            cells.append(c)
        else:
            ir, iz, inew = gi.chunk(3, dim=1)
            hr, hz, hnew = gh.chunk(3, dim=1)
            r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
            new = torch.tanh(inew + r * hnew)
            h = (1 - z) * new + z * h
            saved.append(torch.cat([r, z, new, hnew], dim=1))
        ys.append(h)
    y = torch.stack(ys, dim=1)
    if (y - expected).abs().max() > 1e-12:
        raise RuntimeError(f"the hand-stepped {kind} differs from torch.nn.{kind.upper()}")
    extra = [torch.stack(saved)] + ([torch.stack(cells)] if kind == "lstm" else [])
    return [y] + extra


def check_recurrent(c):
    for kind, gates in [("lstm", 4), ("gru", 3)]:
        for batch, steps, width, hidden in [(2, 4, 3, 5), (1, 1, 2, 1), (3, 6, 1, 2)]:
            x = randn(batch, steps, width)
            weights = [randn(gates * hidden, width) * 0.7, randn(gates * hidden, hidden) * 0.7,
                       randn(gates * hidden) * 0.5, randn(gates * hidden) * 0.5]
            forward = torch_recurrent(kind, t(x), *(t(w) for w in weights))
            results = ", ".join(f"%r{i}" for i in range(len(forward)))
            types = ", ".join(f"{{r{i}}}" for i in range(len(forward)))
            c.check(kind, f"  {results} = nn.{kind} %a0, %a1, %a2, %a3, %a4"
                    f" : ({{t0}}, {{t1}}, {{t2}}, {{t3}}, {{t4}}) -> ({types})",
                    [x] + weights, [n(r) for r in forward])
            leaves = [t(a).requires_grad_() for a in [x] + weights]
            y = torch_recurrent(kind, *leaves)[0]
            dy = randn(batch, steps, hidden)
            grads = torch.autograd.grad(y, leaves, t(dy))
            saved = [n(r) for r in forward]
            operands = ", ".join(f"%a{i}" for i in range(3 + len(saved) + 1))
            operand_types = ", ".join(f"{{t{i}}}" for i in range(3 + len(saved) + 1))
            c.check(f"{kind}_backward",
                    f"  %r0, %r1, %r2, %r3, %r4 = nn.{kind}_backward {operands}"
                    f" : ({operand_types}) -> ({{r0}}, {{r1}}, {{r2}}, {{r3}}, {{r4}})",
                    [x] + weights[:2] + saved + [dy], [n(g) for g in grads])


def check_softmax(c):
    x = randn(3, 4, 5) * 5
    for axis in range(3):
        for op, fn in [("softmax", torch.softmax), ("log_softmax", torch.log_softmax)]:
            c.check(op, f"  %r0 = nn.{op} %a0 {{{{axis = {axis} : i64}}}} : {{t0}}", [x],
                    [n(fn(t(x), axis))])
    big = np.array([[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]])
    for op, fn in [("softmax", torch.softmax), ("log_softmax", torch.log_softmax)]:
        c.check(op, f"  %r0 = nn.{op} %a0 {{{{axis = 1 : i64}}}} : {{t0}}", [big], [n(fn(t(big), 1))])
        one = randn(4, 1)
        c.check(op, f"  %r0 = nn.{op} %a0 {{{{axis = 1 : i64}}}} : {{t0}}", [one], [n(fn(t(one), 1))])


def check_cross_entropy(c):
    # ignore_index: some samples ignored (the mean over the others), every
    # sample ignored (NaN, and a zero gradient), an index inside [0, C).
    for labels, ignore in [(np.array([2, -100, 0, -100, 1], np.int32), -100),
                           (np.array([-1, -1, -1], np.int32), -1),
                           (np.array([3, 1, 3, 0], np.int32), 3)]:
        logits = randn(len(labels), 4) * 3
        attr = f"{{{{ignore_index = {ignore} : i64}}}}"
        loss = F.cross_entropy(t(logits), t(labels).long(), ignore_index=ignore)
        c.check("softmax_cross_entropy",
                f"  %r0 = nn.softmax_cross_entropy %a0, %a1 {attr} : ({{t0}}, {{t1}}) -> {{r0}}",
                [logits, labels], [n(loss)])
        tl = t(logits).requires_grad_()
        dloss = np.array(rng.standard_normal())
        (dlogits,) = torch.autograd.grad(
            F.cross_entropy(tl, t(labels).long(), ignore_index=ignore), [tl], t(dloss))
        c.check("softmax_cross_entropy_backward",
                f"  %r0 = nn.softmax_cross_entropy_backward %a0, %a1, %a2 {attr}"
                " : ({t0}, {t1}, {t2}) -> {r0}",
                [logits, labels, dloss], [n(dlogits)])
    for batch, classes in [(6, 4), (1, 3), (5, 1)]:
        logits, labels = randn(batch, classes) * 3, randint(0, classes, batch)
        loss = F.cross_entropy(t(logits), t(labels).long())
        c.check("softmax_cross_entropy",
                "  %r0 = nn.softmax_cross_entropy %a0, %a1 : ({t0}, {t1}) -> {r0}",
                [logits, labels], [n(loss)])
        tl = t(logits).requires_grad_()
        dloss = np.array(rng.standard_normal())
        (dlogits,) = torch.autograd.grad(F.cross_entropy(tl, t(labels).long()), [tl], t(dloss))
        c.check("softmax_cross_entropy_backward",
                "  %r0 = nn.softmax_cross_entropy_backward %a0, %a1, %a2 : ({t0}, {t1}, {t2}) -> {r0}",
                [logits, labels, dloss], [n(dlogits)])


def check_confusion_matrix(c):
    classes = 4
    predictions, labels = randint(-1, classes + 1, 40), randint(-1, classes + 1, 40)
    valid = (predictions >= 0) & (predictions < classes) & (labels >= 0) & (labels < classes)
    pairs = t(labels[valid]).long() * classes + t(predictions[valid]).long()
    expected = torch.bincount(pairs, minlength=classes * classes).reshape(classes, classes)
    c.check("confusion_matrix",
            f"  %r0 = nn.confusion_matrix %a0, %a1 {{{{num_classes = {classes} : i64}}}}"
            " : ({t0}, {t1}) -> {r0}",
            [predictions, labels], [n(expected).astype(np.int32)])


def check_embedding(c):
    table, ids = randn(7, 3), randint(0, 7, 2, 5)
    c.check("gather_rows", "  %r0 = nn.gather_rows %a0, %a1 : ({t0}, {t1}) -> {r0}",
            [table, ids], [n(F.embedding(t(ids).long(), t(table)))])
    one = np.array([6], np.int32)
    c.check("gather_rows", "  %r0 = nn.gather_rows %a0, %a1 : ({t0}, {t1}) -> {r0}",
            [table, one], [n(F.embedding(t(one).long(), t(table)))])

    updates = randn(2, 5, 3)
    tt = t(table).requires_grad_()
    (dtable,) = torch.autograd.grad(F.embedding(t(ids).long(), tt), [tt], t(updates))
    c.check("scatter_add_rows", "  %r0 = nn.scatter_add_rows %a0, %a1 : ({t0}, {t1}) -> {r0}",
            [ids, updates], [n(dtable)])
    repeated = np.array([1, 1, 1, 4], np.int32)
    rows = randn(4, 3)
    expected = torch.zeros(6, 3, dtype=torch.float64).index_add_(0, t(repeated).long(), t(rows))
    c.check("scatter_add_rows", "  %r0 = nn.scatter_add_rows %a0, %a1 : ({t0}, {t1}) -> {r0}",
            [repeated, rows], [n(expected)])


MASK64 = (1 << 64) - 1


def dropout_reference(key, stream, count, p):
    """gradc::rt::dropoutScale for elements 0..count-1, in numpy uint64 arithmetic."""
    def mix(z):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))
    golden = 0x9E3779B97F4A7C15
    with np.errstate(over="ignore"):
        stream_mix = mix(np.array([(stream * golden + golden) & MASK64], np.uint64))[0]
        seed = mix(np.array([(key & MASK64) ^ int(stream_mix)], np.uint64))[0]
        index = np.arange(count, dtype=np.uint64)
        z = mix(seed + (index + np.uint64(1)) * np.uint64(golden))
    uniform = (z >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)
    if p >= 1.0:
        return np.zeros(count)
    return np.where(uniform.astype(np.float64) >= p, 1.0 / (1.0 - p), 0.0)


def check_dropout(c):
    op = "dropout"
    c.record(op)

    def run(x, key, p, stream):
        body = f"  %r0 = nn.dropout %a0, %a1 {{p = {fattr(p)}, stream = {stream} : i64}} : {mlir_type(x)}, tensor<i64>"
        return c.run(body, [x, np.array(key, np.int64)], [mlir_type(x)])[0]

    try:
        p, key = 0.3, 12345
        ones = np.ones((200, 500))
        y = run(ones, key, p, 7)
        scale = 1.0 / (1.0 - p)
        if not np.all((y == 0.0) | (y == scale)):
            c.fail(op, "mask values outside {0, 1/(1-p)}")
        keep, count = np.mean(y != 0.0), y.size
        sigma = math.sqrt(p * (1 - p) / count)
        if abs(keep - (1 - p)) > 3 * sigma:
            c.fail(op, f"keep fraction {keep:.5f} is not within 3 sigma of {1 - p}")
        if not np.array_equal(y, run(ones, key, p, 7)):
            c.fail(op, "two runs with the same key and stream differ")
        if np.array_equal(y, run(ones, key, p, 8)):
            c.fail(op, "different streams give the same mask")
        if np.array_equal(y, run(ones, key + 1, p, 7)):
            c.fail(op, "different keys give the same mask")
        if not np.array_equal(y.reshape(-1), dropout_reference(key, 7, count, p)):
            c.fail(op, "mask differs from the runtime's dropoutScale(key, stream, index, p)")

        x = randn(3, 4, 5)
        for key, p, stream in [(-42, 0.5, 0), (2**52 + 1, 0.1, 2**40), (7, 0.0, 1), (7, 1.0, 1)]:
            y = run(x, key, p, stream)
            expected = x * dropout_reference(key, stream, x.size, p).reshape(x.shape)
            problem = compare(y, expected, TOL)
            if problem:
                c.fail(op, f"key {key}, p {p}, stream {stream}: {problem}")
    except RuntimeError as error:
        c.fail(op, str(error))


CHECKS = [check_constant, check_binary, check_compare, check_select, check_cast, check_unary,
          check_leaky_relu, check_shape_ops, check_reductions, check_argmax, check_matmul,
          check_linear, check_conv, check_pooling, check_batch_norm, check_layer_norm, check_attention,
          check_recurrent, check_softmax, check_cross_entropy, check_confusion_matrix, check_embedding,
          check_dropout]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gradc-interp", required=True, help="path to the gradc-interp binary")
    parser.add_argument("--keep", metavar="DIR", help="write the test cases to DIR and keep them")
    args = parser.parse_args()
    torch.set_default_dtype(torch.float64)

    with tempfile.TemporaryDirectory(prefix="gradc-interp-crosscheck-") as tmp:
        workdir = args.keep or tmp
        os.makedirs(workdir, exist_ok=True)
        checker = Checker(args.gradc_interp, workdir)
        for check in CHECKS:
            check(checker)

    passed = failed = 0
    for op in dialect_ops():
        if op not in checker.outcomes:
            print(f"FAIL nn.{op}: no cross-check for this op")
            failed += 1
    for op, failures in checker.outcomes.items():
        if failures:
            print(f"FAIL nn.{op}: " + "\n    ".join(failures))
            failed += 1
        else:
            print(f"PASS nn.{op}")
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
