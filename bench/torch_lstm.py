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
import math

import torch
import torch.nn as nn

from torch_gpt import Trainer, main

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


def lstm_trainer(vocab, train, seed):
    torch.manual_seed(seed)
    net = CharLstm(vocab)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3, betas=(0.9, 0.999), eps=1e-8)
    return Trainer(net, opt, train, BATCH, learning_rate)


if __name__ == "__main__":
    main(lstm_trainer)
