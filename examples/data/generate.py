#!/usr/bin/env python3
"""Regenerates the CSV data sets of the examples, byte for byte.

friedman1_{train,test}.csv  regression (examples/friedman_mlp.gc)
    Friedman's benchmark function #1 (J. H. Friedman, "Multivariate Adaptive
    Regression Splines", Annals of Statistics 19(1), 1991):
        x1..x10 ~ U[0, 1] independently,
        y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5 + N(0, 1).
    x6..x10 do not affect y. Header x1,...,x10,y.

moons_{train,test}.csv  binary classification (examples/moons_classifier.gc)
    Two interleaving half circles with Gaussian noise (sd 0.2 per
    coordinate): label 0 is (cos t, sin t), label 1 is (1 - cos t, 0.5 - sin t),
    t ~ U[0, pi]. Header x1,x2,label.

Usage: python3 examples/data/generate.py [OUTPUT_DIR]   (default: this folder)
"""

import math
import os
import random
import sys


def write(path, header, rows, digits):
    with open(path, "w", newline="\n") as out:
        out.write(",".join(header) + "\n")
        for row in rows:
            out.write(",".join(f"{value:.{digits}f}" for value in row) + "\n")


def friedman1(rng, count):
    for _ in range(count):
        x = [rng.random() for _ in range(10)]
        y = (10 * math.sin(math.pi * x[0] * x[1]) + 20 * (x[2] - 0.5) ** 2
             + 10 * x[3] + 5 * x[4] + rng.gauss(0.0, 1.0))
        yield x + [y]


def moons(rng, count):
    for index in range(count):
        label = index % 2
        t = rng.uniform(0.0, math.pi)
        if label == 0:
            x1, x2 = math.cos(t), math.sin(t)
        else:
            x1, x2 = 1.0 - math.cos(t), 0.5 - math.sin(t)
        yield [x1 + rng.gauss(0.0, 0.2), x2 + rng.gauss(0.0, 0.2), label]


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    friedman_header = [f"x{i}" for i in range(1, 11)] + ["y"]
    rng = random.Random(1991)
    write(os.path.join(folder, "friedman1_train.csv"), friedman_header, friedman1(rng, 1000), 4)
    write(os.path.join(folder, "friedman1_test.csv"), friedman_header, friedman1(rng, 250), 4)
    rng = random.Random(2024)
    moons_rows = list(moons(rng, 1250))
    rng.shuffle(moons_rows)
    moons_header = ["x1", "x2", "label"]
    # Labels are written as 0.0000 / 1.0000: bce_with_logits takes float targets.
    write(os.path.join(folder, "moons_train.csv"), moons_header, moons_rows[:1000], 4)
    write(os.path.join(folder, "moons_test.csv"), moons_header, moons_rows[1000:], 4)


if __name__ == "__main__":
    main()
