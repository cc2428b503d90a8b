#!/usr/bin/python3
"""examples/char_lstm.gc in PyTorch: the same network, initialization,
optimizer, schedule, clipping and data.

The network: nn.Embedding(63, 64) (N(0, 1)), nn.LSTM(64, 256, num_layers=2,
batch_first=True) (PyTorch's U(±1/16) for every weight and bias), and
nn.Linear(256, 63) (PyTorch's default). Adam(lr 2e-3), the learning rate
decayed by a cosine from 2e-3 to 1e-4 at step 2000, gradients clipped to
norm 1. The data as bench/torch_gpt.py reads it: windows of 65 characters
at a stride of 64, the last 10 % held out, the rest shuffled every epoch,
here in batches of 32 (drop_last).

  torch_lstm.py step --text FILE --steps N [--threads T]
      trains N steps after 5 warm-up steps; prints {"ms_per_step": ...}
  torch_lstm.py train --text FILE --steps 2000 [--threads T] [--seed S]
      trains, then evaluates every held-out window; prints
      {"val_loss": ..., "seconds": ..., "ms_per_step": ...}
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_gpt import load_windows

EMBED, HIDDEN, LAYERS, BATCH = 64, 256, 2, 32


class CharLstm(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.wte = nn.Embedding(vocab, EMBED)
        self.lstm = nn.LSTM(EMBED, HIDDEN, num_layers=LAYERS, batch_first=True)
        self.head = nn.Linear(HIDDEN, vocab)

    def forward(self, ids):
        return self.head(self.lstm(self.wte(ids))[0])


def learning_rate(step, lr=2e-3, steps=2000, min_lr=1e-4):
    progress = min(step, steps) / steps
    return min_lr + (lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2


class Trainer:
    def __init__(self, vocab, train, seed):
        torch.manual_seed(seed)
        self.net = CharLstm(vocab)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=2e-3, betas=(0.9, 0.999), eps=1e-8)
        self.train = train
        self.order = torch.randperm(len(train))
        self.position = 0
        self.steps = 0

    def step(self):
        if self.position + BATCH > len(self.order):
            self.order, self.position = torch.randperm(len(self.train)), 0
        batch = self.train[self.order[self.position:self.position + BATCH]]
        self.position += BATCH
        for group in self.opt.param_groups:
            group["lr"] = learning_rate(self.steps)
        logits = self.net(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
        self.opt.step()
        self.steps += 1
        return loss.item()

    def evaluate(self, windows):
        total, count = 0.0, 0
        with torch.no_grad():
            for first in range(0, len(windows), 256):
                batch = windows[first:first + 256]
                logits = self.net(batch[:, :-1])
                total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                         batch[:, 1:].reshape(-1), reduction="sum").item()
                count += batch[:, 1:].numel()
        return total / count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["step", "train"])
    parser.add_argument("--text", required=True)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1337)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    vocab, train, held = load_windows(args.text)
    trainer = Trainer(vocab, train, args.seed)
    if args.mode == "step":
        for _ in range(5):
            trainer.step()
        start = time.perf_counter()
        for _ in range(args.steps):
            trainer.step()
        print(json.dumps({"ms_per_step": (time.perf_counter() - start) * 1000 / args.steps}))
        return
    start = time.perf_counter()
    for _ in range(args.steps):
        trainer.step()
    seconds = time.perf_counter() - start
    print(json.dumps({"val_loss": trainer.evaluate(held), "seconds": seconds,
                      "ms_per_step": seconds * 1000 / args.steps,
                      "windows": [len(train), len(held)]}))


if __name__ == "__main__":
    main()
