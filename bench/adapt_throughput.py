#!/usr/bin/python3
"""The loops of bench/adapt_bench.cpp in PyTorch's Python API (Debian's python3-torch): BN
adaptation (training-mode batch norm, no gradients) and RPL (GCE with q = 0.8 on the model's own
argmax, one SGD step with momentum 0.9 / Nesterov, lr 1e-3, on the BN affine parameters), batches
of 128, on two models: the reference Fashion-MNIST CNN (TorchScript) and ResNet-20 (He et al.
2016, §4.2; the default model of `robustlab benchmark`, built here as robustlab's zoo builds it:
3x3 stem of 16 channels, three stages of three basic blocks with 16/32/64 channels, 1x1
projection shortcuts). Prints images/s for 1 and 2 threads.
Usage: /usr/bin/python3 bench/adapt_throughput.py [path to fmnist_cnn.pt]"""
import os
import sys
import time

import torch
import torch.nn as nn

MODEL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "reference", "fmn", "fmnist_cnn.pt")


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(y + (self.shortcut(x) if self.shortcut is not None else x))


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        blocks, cin = [], 16
        for stage, width in enumerate((16, 32, 64)):
            for b in range(3):
                blocks.append(Block(cin, width, 2 if stage > 0 and b == 0 else 1))
                cin = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(torch.nn.functional.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1).flatten(1))


def batch_norms(model):
    return [m for m in model.modules() if getattr(m, "original_name", type(m).__name__) == "BatchNorm2d"]


def measure(fn, seconds=3.0):
    fn()  # warm-up
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        done += 128
    return done / (time.perf_counter() - start)


def main():
    torch.manual_seed(0)
    x = torch.rand(128, 1, 28, 28)
    for name, make in (("reference-cnn", lambda: torch.jit.load(MODEL)), ("resnet20", ResNet20)):
        for threads in (1, 2):
            torch.set_num_threads(threads)
            model = make()
            model.eval()
            bns = batch_norms(model)
            for m in bns:
                m.train()

            def bn_step():
                with torch.no_grad():
                    model(x)

            params = [p for m in bns for p in (m.weight, m.bias)]
            for p in model.parameters():
                p.requires_grad_(False)
            for p in params:
                p.requires_grad_(True)
            opt = torch.optim.SGD(params, lr=1e-3, momentum=0.9, nesterov=True)

            def rpl_step():
                logits = model(x)
                p = torch.softmax(logits, 1).gather(1, logits.argmax(1, keepdim=True)).squeeze(1)
                loss = ((1 - p.pow(0.8)) / 0.8).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()

            print(f"pytorch-python {name} threads={threads} bn: {measure(bn_step):.0f} images/s")
            print(f"pytorch-python {name} threads={threads} rpl: {measure(rpl_step):.0f} images/s")


if __name__ == "__main__":
    main()
