#!/usr/bin/python3
"""The same training step as bench/train_bench.cpp in PyTorch's Python API (Debian's python3-torch):
small_cnn (the FMN reference architecture) on Fashion-MNIST, Adam, batch 128, in-memory data.
Prints images/s for 2 and 1 threads. Install python3-torch with `scripts/setup.sh --bench`."""
import gzip
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def load_images(path):
    with gzip.open(path, "rb") as f:
        _, n, h, w = struct.unpack(">IIII", f.read(16))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(n, 1, h, w)


def load_labels(path):
    with gzip.open(path, "rb") as f:
        struct.unpack(">II", f.read(8))
        return np.frombuffer(f.read(), dtype=np.uint8).astype(np.int64)


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32)
        self.conv2, self.bn2 = nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64)
        self.fc1, self.fc2 = nn.Linear(3136, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        x = torch.max_pool2d(torch.relu(self.bn2(self.conv2(x))), 2)
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


def measure(threads, batch=128, seconds=5.0):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    root = "/usr/share/datasets/fashion-mnist/"
    x = torch.from_numpy(load_images(root + "train-images-idx3-ubyte.gz").copy())
    y = torch.from_numpy(load_labels(root + "train-labels-idx1-ubyte.gz").copy())
    model = SmallCnn().train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n, step, done = x.shape[0], 0, 0
    for warm in range(3):
        idx = torch.arange(warm * batch, (warm + 1) * batch)
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[idx].float() / 255), y[idx]).backward()
        opt.step()
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        idx = (torch.arange(batch) + step * batch) % n
        step += 1
        xb = x[idx].float().div_(255)
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), y[idx])
        loss.backward()
        opt.step()
        loss.item()
        done += batch
    return done / (time.perf_counter() - start)


if __name__ == "__main__":
    for t in (2, 1):
        print(f"pytorch-python threads={t} batch=128: {measure(t):.1f} images/s")
    sys.exit(0)
