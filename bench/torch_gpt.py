#!/usr/bin/python3
"""examples/char_gpt.gc in PyTorch: the same network, initialization,
optimizer, schedule, clipping and data.

The network: token and learned position embeddings, 4 pre-LayerNorm blocks
(causal self-attention of 4 heads written out, as PyTorch 1.13 has no fused
attention; a GELU MLP of 512), a final LayerNorm and a linear head without
bias; every weight N(0, 0.02), the projections into the residual stream
N(0, 0.00707), biases 0, LayerNorms 1 and 0. AdamW(lr 1e-3, betas (0.9,
0.99), weight decay 0.1 on every parameter, as gradc decays them), the
learning rate warmed up over 100 steps from 0 and decayed by a cosine to
1e-4 at step 2000, gradients clipped to norm 1. The data: the text's
distinct characters in code-point order, windows of 65 characters at a
stride of 64, the last 10 % of them held out, the rest shuffled every epoch,
batches of 12 (drop_last).

  torch_gpt.py step --text FILE --steps N [--threads T]
      trains N steps after 5 warm-up steps; prints {"ms_per_step": ...}
  torch_gpt.py train --text FILE --steps 2000 [--threads T] [--seed S]
      trains, then evaluates every held-out window; prints
      {"val_loss": ..., "seconds": ..., "ms_per_step": ...}
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LAYERS, HEADS, WIDTH, CONTEXT, BATCH = 4, 4, 128, 64, 12
PROJ_STD = 0.02 / math.sqrt(2 * LAYERS)


def causal_attention(q, k, v, heads):
    batch, steps, width = q.shape
    dim = width // heads

    def split(t):
        return t.reshape(batch, steps, heads, dim).transpose(1, 2)
    scores = torch.matmul(split(q), split(k).transpose(-1, -2)) / math.sqrt(dim)
    mask = torch.tril(torch.ones(steps, steps, dtype=torch.bool))
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    return torch.matmul(weights, split(v)).transpose(1, 2).reshape(batch, steps, width)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(WIDTH)
        self.q = nn.Linear(WIDTH, WIDTH)
        self.k = nn.Linear(WIDTH, WIDTH)
        self.v = nn.Linear(WIDTH, WIDTH)
        self.proj = nn.Linear(WIDTH, WIDTH)
        self.ln_2 = nn.LayerNorm(WIDTH)
        self.fc = nn.Linear(WIDTH, 4 * WIDTH)
        self.fc_proj = nn.Linear(4 * WIDTH, WIDTH)

    def forward(self, x):
        h = self.ln_1(x)
        x = x + self.proj(causal_attention(self.q(h), self.k(h), self.v(h), HEADS))
        return x + self.fc_proj(F.gelu(self.fc(self.ln_2(x))))


class CharGpt(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.wte = nn.Embedding(vocab, WIDTH)
        self.pos = nn.Parameter(torch.zeros(CONTEXT, WIDTH))
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.ln_f = nn.LayerNorm(WIDTH)
        self.lm_head = nn.Linear(WIDTH, vocab, bias=False)
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif "ln_" in name:
                nn.init.ones_(p)
            else:
                std = PROJ_STD if name.endswith("proj.weight") else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, ids):
        x = self.wte(ids) + self.pos
        for block in self.blocks:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def load_windows(path):
    text = open(path, encoding="utf-8").read()
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    count = (len(ids) - 1) // CONTEXT
    starts = torch.arange(count) * CONTEXT
    offsets = torch.arange(CONTEXT + 1)
    windows = ids[starts[:, None] + offsets[None, :]]
    held = int(round(0.1 * count))
    return len(vocab), windows[:count - held], windows[count - held:]


def learning_rate(step, lr=1e-3, warmup=100, steps=2000, min_lr=1e-4):
    if step < warmup:
        return lr * step / warmup
    progress = min(step - warmup, steps - warmup) / (steps - warmup)
    return min_lr + (lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2


class Trainer:
    """Trains `net` with `opt` on shuffled batches of `train` windows, the
    learning rate set by `schedule(step)` before each step, gradients
    clipped to norm 1 (bench/torch_lstm.py trains its network with it too)."""

    def __init__(self, net, opt, train, batch, schedule):
        self.net, self.opt, self.schedule = net, opt, schedule
        self.train, self.batch = train, batch
        self.order = torch.randperm(len(train))
        self.position = 0
        self.steps = 0

    def step(self):
        if self.position + self.batch > len(self.order):
            self.order, self.position = torch.randperm(len(self.train)), 0
        batch = self.train[self.order[self.position:self.position + self.batch]]
        self.position += self.batch
        for group in self.opt.param_groups:
            group["lr"] = self.schedule(self.steps)
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


def gpt_trainer(vocab, train, seed):
    torch.manual_seed(seed)
    net = CharGpt(vocab)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, betas=(0.9, 0.99), eps=1e-8,
                            weight_decay=0.1)
    return Trainer(net, opt, train, BATCH, learning_rate)


def main(make_trainer=gpt_trainer):
    """The command line of this script and of bench/torch_lstm.py."""
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["step", "train"])
    parser.add_argument("--text", required=True)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1337)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    vocab, train, held = load_windows(args.text)
    trainer = make_trainer(vocab, train, args.seed)
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
