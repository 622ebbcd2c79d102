#!/usr/bin/python3
"""The loops of bench/adapt_bench.cpp in PyTorch's Python API (Debian's python3-torch): BN
adaptation (training-mode batch norm, no gradients) and RPL (GCE with q = 0.8 on the model's own
argmax, one SGD step with momentum 0.9 / Nesterov, lr 1e-3, on the BN affine parameters), batches
of 128, on two models: the reference Fashion-MNIST CNN (TorchScript) and ResNet-20 (He et al.
2016, §4.2; the default model of `robustlab benchmark`, built here as robustlab's zoo builds it:
3x3 stem of 16 channels, three stages of three basic blocks with 16/32/64 channels, 1x1
projection shortcuts). Prints images/s for 1 and 2 threads.
With --tta: the TTA benchmark's methods of bench/adapt_bench.cpp's BM_TtaMethod instead (TENT,
EATA, SAR on ResNet-20, batches of 64, 2 threads, every sample kept by the filters as there).
Usage: /usr/bin/python3 bench/adapt_throughput.py [--tta] [path to fmnist_cnn.pt]"""
import math
import os
import sys
import time

import torch
import torch.nn as nn

TTA = "--tta" in sys.argv
ARGS = [a for a in sys.argv[1:] if a != "--tta"]
MODEL = ARGS[0] if ARGS else os.path.join(
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


def measure(fn, seconds=3.0, batch=128):
    fn()  # warm-up
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        done += batch
    return done / (time.perf_counter() - start)


def entropy(logits):
    return -(logits.softmax(1) * logits.log_softmax(1)).sum(1)


def tta():
    """TENT, EATA and SAR steps as the TTA benchmark writes them (methods/tent.py, eata.py, sar.py)."""
    torch.set_num_threads(2)
    x = torch.rand(64, 1, 28, 28)
    for method in ("tent", "eata", "sar"):
        torch.manual_seed(0)
        model = ResNet20()
        model.train()
        params = [p for m in batch_norms(model) for p in (m.weight, m.bias)]
        for p in model.parameters():
            p.requires_grad_(False)
        for p in params:
            p.requires_grad_(True)
        opt = torch.optim.SGD(params, lr=2.5e-4, momentum=0.9, nesterov=method != "sar")
        margin, state = 2 * math.log(10), {"probs": None}
        fisher = []
        if method == "eata":
            for p in params:
                p.grad = None
            for _ in range(4):
                out = model(x)
                torch.nn.functional.cross_entropy(out, out.argmax(1)).backward()
            fisher = [(p.grad.detach() ** 2 / 4, p.detach().clone()) for p in params]
            opt.zero_grad()

        def tent_step():
            loss = entropy(model(x)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()

        def eata_step():
            out = model(x)
            ent = entropy(out)
            keep = torch.where(ent < margin)[0]
            probs = out[keep].softmax(1)
            if state["probs"] is not None:
                cos = torch.nn.functional.cosine_similarity(state["probs"].unsqueeze(0), probs, dim=1)
                keep2 = torch.where(cos.abs() < 1.1)[0]
                keep, probs = keep[keep2], probs[keep2]
            with torch.no_grad():
                m = probs.mean(0)
                state["probs"] = m if state["probs"] is None else 0.9 * state["probs"] + 0.1 * m
            e = ent[keep]
            loss = (e * torch.exp(margin - e.detach())).mean()
            loss = loss + sum(2000 * (f * (p - a) ** 2).sum() for p, (f, a) in zip(params, fisher))
            opt.zero_grad()
            loss.backward()
            opt.step()

        def sar_step():
            opt.zero_grad()
            out = model(x)
            ent = entropy(out)
            keep = torch.where(ent < margin)[0]
            ent[keep].mean().backward()
            with torch.no_grad():
                norm = torch.norm(torch.stack([p.grad.norm(2) for p in params]), 2)
                saved = [p.detach().clone() for p in params]
                for p in params:
                    p.add_(p.grad * (0.05 / (norm + 1e-12)))
            opt.zero_grad()
            ent2 = entropy(model(x))[keep]
            ent2[torch.where(ent2 < margin)[0]].mean().backward()
            with torch.no_grad():
                for p, s in zip(params, saved):
                    p.copy_(s)
            opt.step()

        step = {"tent": tent_step, "eata": eata_step, "sar": sar_step}[method]
        print(f"pytorch-python resnet20 threads=2 {method}: {measure(step, batch=64):.0f} images/s")


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
    tta() if TTA else main()
