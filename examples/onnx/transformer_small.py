#!/usr/bin/python3
"""A small character-level transformer encoder in PyTorch, exported for gradc.

    /usr/bin/python3 examples/onnx/transformer_small.py [OUT.onnx]
    /usr/bin/python3 examples/onnx/transformer_small.py --load W.safetensors \\
        --ids IDS.npy --out LOGITS.npy

The first form writes examples/onnx/transformer_small.onnx (or OUT.onnx):
the module as torch.onnx.export writes it for gradc (opset 17, the batch
dimension dynamic, dropout kept in training mode), with its initial weights.
transformer_small.gc imports it and fine-tunes it on the King James Bible
(scripts/kjv-text). The second loads a program's --save file back into the
module by name (load_state_dict, strict) and writes its logits, in
evaluation mode, for the windows of token ids in IDS.npy.

The module: a token embedding (63 characters) plus learned positions, two
pre-LayerNorm nn.TransformerEncoderLayer blocks (width 64, 4 heads, a ReLU
feed-forward block of 128, dropout 0.1) under a causal mask, a final layer
norm and a projection to the vocabulary at every position.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn

VOCAB, CONTEXT, WIDTH = 63, 32, 64


class TransformerSmall(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, WIDTH)
        self.pos = nn.Parameter(torch.zeros(CONTEXT, WIDTH).normal_(0, 0.02))
        layer = nn.TransformerEncoderLayer(WIDTH, 4, dim_feedforward=2 * WIDTH, dropout=0.1,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.ln_f = nn.LayerNorm(WIDTH)
        self.head = nn.Linear(WIDTH, VOCAB)
        # Position t sees positions up to t: -inf above the diagonal.
        self.register_buffer(
            "mask", torch.triu(torch.full((CONTEXT, CONTEXT), float("-inf")), 1),
            persistent=False)

    def forward(self, ids):
        h = self.wte(ids) + self.pos
        return self.head(self.ln_f(self.encoder(h, mask=self.mask)))


def export(module, path):
    module.train()
    torch.onnx.export(module, torch.zeros(16, CONTEXT, dtype=torch.long), path,
                      opset_version=17, input_names=["ids"], output_names=["logits"],
                      dynamic_axes={"ids": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)


def load_weights(module, path):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from load_back import read_safetensors  # noqa: E402
    tensors = read_safetensors(path)
    module.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_onnx", nargs="?",
                        default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                             "transformer_small.onnx"))
    parser.add_argument("--load", help="weights a program saved, to load into the module")
    parser.add_argument("--ids", help="with --load: windows of token ids [N, 32] (.npy)")
    parser.add_argument("--out", help="with --load: where the module's logits go (.npy)")
    args = parser.parse_args()
    torch.manual_seed(0)
    module = TransformerSmall()
    if args.load:
        load_weights(module, args.load)
        module.eval()
        ids = torch.from_numpy(np.load(args.ids).astype(np.int64))
        with torch.no_grad():
            np.save(args.out, module(ids).numpy())
        print("loaded %s into the module: %d tensors by name" % (args.load,
                                                                  len(module.state_dict())))
    else:
        export(module, args.out_onnx)
        print("wrote " + args.out_onnx)
