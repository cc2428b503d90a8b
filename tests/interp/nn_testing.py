"""What the PyTorch cross-checks of tests/interp share: where the op
definitions are, and how numpy element types are spelled in the nn dialect."""

import os

import numpy as np

NNOPS_TD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                        "dialects", "include", "gradc", "Dialect", "NN", "IR", "NNOps.td")

ELEMENT_TYPES = {
    np.dtype(np.float64): "f64",
    np.dtype(np.float32): "f32",
    np.dtype(np.int32): "i32",
    np.dtype(np.int64): "i64",
    np.dtype(np.bool_): "i1",
}
