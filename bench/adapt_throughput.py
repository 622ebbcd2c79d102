#!/usr/bin/python3
"""The loops of bench/adapt_bench.cpp in PyTorch's Python API (Debian's python3-torch): BN
adaptation (training-mode batch norm, no gradients) and RPL (GCE with q = 0.8 on the model's own
argmax, one SGD step with momentum 0.9 / Nesterov, lr 1e-3, on the BN affine parameters) on the
reference Fashion-MNIST CNN, batches of 128. Prints images/s for 1 and 2 threads.
Usage: /usr/bin/python3 bench/adapt_throughput.py [path to fmnist_cnn.pt]"""
import os
import sys
import time

import torch

MODEL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "reference", "fmn", "fmnist_cnn.pt")


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
    for threads in (1, 2):
        torch.set_num_threads(threads)
        model = torch.jit.load(MODEL)
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

        print(f"pytorch-python threads={threads} bn: {measure(bn_step):.0f} images/s")
        print(f"pytorch-python threads={threads} rpl: {measure(rpl_step):.0f} images/s")


if __name__ == "__main__":
    main()
