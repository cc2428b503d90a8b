#!/usr/bin/python3
"""The bench/run workloads in PyTorch, with the shapes, initialization
(PyTorch's defaults, which gradc's `default` init reproduces), loss and
optimizer of bench/models/*.gc: Adam(lr=1e-3), batch 64, float32.

  torch_workloads.py step WORKLOAD --data X.npy --labels Y.npy --steps N [--threads T]
      trains N steps after 5 warm-up steps; prints {"ms_per_step": ...}
  torch_workloads.py accuracy --epochs 5 [--threads T]
      fashion_mlp's model and settings on Fashion-MNIST: 5 epochs, shuffled,
      drop_last; prints {"seconds": ..., "test_accuracy": ...}
"""
import argparse
import gzip
import json
import time

import numpy as np
import torch
import torch.nn as nn


class Residual(nn.Module):
    def __init__(self, width, p):
        super().__init__()
        self.dense = nn.Linear(width, width)
        self.norm = nn.BatchNorm1d(width)
        self.drop = nn.Dropout(p)

    def forward(self, x):
        return x + self.drop(torch.relu(self.norm(self.dense(x))))


def workload(name):
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    if name == "bigmlp":
        return nn.Sequential(nn.Linear(784, 2048), nn.ReLU(), nn.Linear(2048, 2048), nn.ReLU(),
                             nn.Linear(2048, 10))
    if name == "resmlp":
        return nn.Sequential(nn.Linear(784, 512), *[Residual(512, 0.2) for _ in range(8)],
                             nn.Linear(512, 10))
    if name == "lenet":
        return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                             nn.Linear(84, 10))
    raise SystemExit("unknown workload " + name)


def train_steps(net, x, y, steps, batch=64):
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    batches = len(x) // batch

    def step(i):
        j = i % batches
        xb, yb = x[j * batch:(j + 1) * batch], y[j * batch:(j + 1) * batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(xb), yb)
        loss.backward()
        opt.step()

    for i in range(5):
        step(i)
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    return (time.perf_counter() - start) * 1000 / steps


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def accuracy_run(epochs, seed=42):
    start = time.perf_counter()
    root = "/usr/share/datasets/fashion-mnist/"
    x = torch.tensor(read_idx(root + "train-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0,
                     dtype=torch.float32)
    y = torch.tensor(read_idx(root + "train-labels-idx1-ubyte.gz"), dtype=torch.long)
    tx = torch.tensor(read_idx(root + "t10k-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0,
                      dtype=torch.float32)
    ty = torch.tensor(read_idx(root + "t10k-labels-idx1-ubyte.gz"), dtype=torch.long)
    torch.manual_seed(seed)
    net = workload("mlp")
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    batch = 64
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for j in range(len(x) // batch):
            idx = order[j * batch:(j + 1) * batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(net(x[idx]), y[idx]).backward()
            opt.step()
    with torch.no_grad():
        correct = (net(tx).argmax(1) == ty).sum().item()
    return time.perf_counter() - start, correct / len(tx)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["step", "accuracy"])
    parser.add_argument("workload", nargs="?")
    parser.add_argument("--data")
    parser.add_argument("--labels")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    if args.mode == "accuracy":
        seconds, acc = accuracy_run(args.epochs)
        print(json.dumps({"seconds": seconds, "test_accuracy": acc}))
        return
    net = workload(args.workload)
    x = torch.from_numpy(np.load(args.data))
    if args.workload != "lenet":
        x = x.reshape(len(x), -1)
    y = torch.from_numpy(np.load(args.labels).astype(np.int64))
    print(json.dumps({"ms_per_step": train_steps(net, x, y, args.steps)}))


if __name__ == "__main__":
    main()
