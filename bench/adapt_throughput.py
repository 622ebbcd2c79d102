#!/usr/bin/python3
"""The loops of bench/adapt_bench.cpp in PyTorch's Python API (Debian's python3-torch): BN
adaptation (training-mode batch norm, no gradients) and RPL (GCE with q = 0.8 on the model's own
argmax, one SGD step with momentum 0.9 / Nesterov, lr 1e-3, on the BN affine parameters), batches
of 128, on two models: the reference Fashion-MNIST CNN (TorchScript) and ResNet-20 (He et al.
2016, §4.2; the default model of `robustlab benchmark`, built here as robustlab's zoo builds it:
3x3 stem of 16 channels, three stages of three basic blocks with 16/32/64 channels, 1x1
projection shortcuts). Prints images/s for 1 and 2 threads.
With --tta: the TTA benchmark's methods of bench/adapt_bench.cpp's BM_TtaMethod instead (CoTTA,
ROID, TENT, EATA, SAR on ResNet-20, batches of 64, 2 threads, every sample kept by the filters as
there; CoTTA's augmentations need python3-torchvision).
Usage: /usr/bin/python3 bench/adapt_throughput.py [--tta] [path to fmnist_cnn.pt]"""
import copy
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


def cotta_views(x, roid=False):
    """CoTTA's augmentation of a batch (the benchmark's transforms_cotta.py chain, one draw per
    batch), written here with torchvision's functional operations; ROID's variant pads by
    reflection and leaves out the blur and the noise."""
    import torchvision.transforms as T
    import torchvision.transforms.functional as TF
    x = x.clamp(0, 1)
    for k in torch.randperm(5).tolist():
        if k == 0:
            x = TF.adjust_brightness(x, torch.empty(1).uniform_(0.6, 1.4).item())
        elif k == 1:
            x = TF.adjust_contrast(x, torch.empty(1).uniform_(0.7, 1.3).item())
        elif k == 2:
            x = TF.adjust_saturation(x, torch.empty(1).uniform_(0.5, 1.5).item())
        elif k == 3:
            x = TF.adjust_hue(x, torch.empty(1).uniform_(-0.06, 0.06).item())
        else:
            x = TF.adjust_gamma(x.clamp(1e-8, 1.0), torch.empty(1).uniform_(0.7, 1.3).item())
    n = x.shape[-1]
    x = T.Pad(n // 2, padding_mode="reflect" if roid else "edge")(x)
    x = T.RandomAffine(degrees=[-15, 15], translate=(1 / 16, 1 / 16), scale=(0.9, 1.1),
                       interpolation=T.InterpolationMode.BILINEAR, fill=0)(x)
    if not roid:
        x = T.GaussianBlur(5, sigma=[0.001, 0.5])(x)
    x = T.RandomHorizontalFlip(0.5)(T.CenterCrop(n)(x))
    return (x if roid else x + torch.randn(x.size()) * 0.005).clamp(0, 1)


def tta():
    """TENT, EATA and SAR steps as the TTA benchmark writes them (methods/tent.py, eata.py, sar.py),
    then CoTTA and ROID (cotta.py, roid.py with the CIFAR-10 yaml)."""
    torch.set_num_threads(2)
    x = torch.rand(64, 1, 28, 28)
    for method in ("cotta", "roid"):
        torch.manual_seed(0)
        model = ResNet20()
        model.train()
        if method == "cotta":
            params = list(model.parameters())
        else:
            params = [p for m in batch_norms(model) for p in (m.weight, m.bias)]
            for p in model.parameters():
                p.requires_grad_(False)
        for p in params:
            p.requires_grad_(True)
        source = copy.deepcopy(model)
        teacher = copy.deepcopy(model)
        for p in list(source.parameters()) + list(teacher.parameters()):
            p.detach_()
        opt = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999))
        state = {"probs": torch.full((10,), 0.1)}

        def cotta_step():
            out = model(x)
            confidence = source(x).softmax(1).max(1)[0].mean(0)
            if confidence < 0.92:
                target = torch.stack([teacher(cotta_views(x)).detach() for _ in range(32)]).mean(0)
            else:
                target = teacher(x)
            loss = (-(target.softmax(1) * out.log_softmax(1)).sum(1)).mean(0)
            loss.backward()
            opt.step()
            opt.zero_grad()
            with torch.no_grad():
                for pt, p in zip(teacher.parameters(), model.parameters()):
                    pt.data = 0.999 * pt.data + 0.001 * p.data
                for p, ps in zip(model.parameters(), source.parameters()):
                    mask = (torch.rand(p.shape) < 0.01).float()
                    p.data = ps * mask + p * (1.0 - mask)

        def roid_step():
            out = model(x)
            with torch.no_grad():
                div = 1 - torch.nn.functional.cosine_similarity(state["probs"].unsqueeze(0), out.softmax(1), dim=1)
                div = (div - div.min()) / (div.max() - div.min())
                mask = div < div.mean()
                cert = -entropy(out)
                cert = (cert - cert.min()) / (cert.max() - cert.min())
                w = torch.exp(div * cert / (1 / 3))
                w[mask] = 0.0
                state["probs"] = 0.9 * state["probs"] + 0.1 * out.softmax(1).mean(0)
            p = out.softmax(1).clamp(0.0, 0.99)
            slr = -(p * torch.log(p / (1 - p) + 1e-5)).sum(1)
            loss = (slr * w)[~mask].sum() / 64
            aug = model(cotta_views(x[~mask], roid=True))
            sym = -0.5 * (out[~mask].softmax(1) * aug.log_softmax(1)).sum(1) - 0.5 * (aug.softmax(1) * out[~mask].log_softmax(1)).sum(1)
            loss = loss + (sym * w[~mask]).sum() / 64
            loss.backward()
            opt.step()
            opt.zero_grad()
            with torch.no_grad():
                for q, s in zip(params, [p for m in batch_norms(source) for p in (m.weight, m.bias)]):
                    q.data = 0.99 * q.data + 0.01 * s.data

        step = cotta_step if method == "cotta" else roid_step
        print(f"pytorch-python resnet20 threads=2 {method}: {measure(step, batch=64):.0f} images/s")
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
