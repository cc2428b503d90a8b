#!/usr/bin/python3
"""A small ResNet-style CNN for Fashion-MNIST in PyTorch, exported for gradc.

    /usr/bin/python3 examples/onnx/resnet_small.py [OUT.onnx]

writes examples/onnx/resnet_small.onnx (or OUT.onnx): the module as
torch.onnx.export writes it for gradc (opset 17, the batch dimension dynamic,
batch norm kept in training mode), with its initial weights. resnet_small.gc
imports it and trains it; load_back.py loads the program's --save file back
into this module by name.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class Residual(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        return F.relu(x + self.bn2(self.conv2(h)))


class ResNetSmall(nn.Module):
    """28x28 -> stem (16 channels) -> 2x2 max pool -> two residual blocks ->
    global average pool -> 10 classes."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.block1 = Residual(16)
        self.block2 = Residual(16)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.bn(self.stem(x))), 2)
        h = self.block2(self.block1(h))
        return self.head(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))


def export(module, path):
    module.train()
    torch.onnx.export(module, torch.zeros(64, 1, 28, 28), path, opset_version=17,
                      input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "resnet_small.onnx")
    torch.manual_seed(0)
    export(ResNetSmall(), out)
    print("wrote %s" % out)
