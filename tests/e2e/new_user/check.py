"""Checks for tests/e2e/new_user/run.sh: predictions written as .npy and .csv."""
import sys

import numpy as np


def read_csv(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
        rows = [list(map(float, line.split(","))) for line in f if line.strip()]
    return header, np.array(rows)


what = sys.argv[1]
if what == "same-csv":  # two prediction CSV files hold the same values
    (ha, a), (hb, b) = read_csv(sys.argv[2]), read_csv(sys.argv[3])
    assert ha == hb == ["output_0"], (ha, hb)
    assert a.shape == (int(sys.argv[4]), 1), a.shape
    assert np.array_equal(a, b), np.abs(a - b).max()
elif what == "classes":  # classes.npy and classes.csv are the argmax of outputs.npy
    outputs = np.load(sys.argv[2])
    classes = np.load(sys.argv[3])
    header, rows = read_csv(sys.argv[4])
    assert classes.dtype == np.int32 and classes.shape == (outputs.shape[0],)
    assert np.array_equal(classes, outputs.argmax(axis=1))
    assert header == ["class"] and np.array_equal(rows[:, 0], classes)
elif what == "same-npy":
    a, b = np.load(sys.argv[2]), np.load(sys.argv[3])
    assert a.shape == b.shape and np.array_equal(a, b), np.abs(a - b).max()
else:
    raise SystemExit(f"unknown check {what}")
print(f"PASS {what}")
