#!/usr/bin/python3
"""Cross-check of robustlab's test-time adaptation against the same loops in PyTorch's Python API
(Debian's python3-torch): BN adaptation (batch statistics), ENT (Wang et al., arXiv:2006.10726)
and RPL (GCE, q = 0.8; Rusak et al., arXiv:2104.12928) on the BN affine parameters, online
(each batch predicted before its update), on the reference Fashion-MNIST CNN and the Fashion-MNIST
test set with Gaussian noise (sigma 0.38, ImageNet-C's severity 5, rounded to 8 bits).

Writes the noisy test set as a {x, y} .pt file, prints the Python errors and the robustlab
commands that evaluate the same data (docs/adaptation.md has both sets of figures).
Usage: /usr/bin/python3 bench/adapt_crosscheck.py OUT_DIR [robustlab binary]"""
import gzip
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "..", "..", "shared", "reference", "fmn", "fmnist_cnn.pt")
FMNIST = "/usr/share/datasets/fashion-mnist/"
RUNS = [("bn", "sgd", 0.0), ("ent", "adam", 1e-3), ("rpl", "adam", 1e-3), ("rpl", "sgd", 1e-3)]
BATCH = 200


def noisy_test_set(path):
    x = np.frombuffer(gzip.open(FMNIST + "t10k-images-idx3-ubyte.gz").read(), np.uint8, offset=16)
    y = np.frombuffer(gzip.open(FMNIST + "t10k-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)
    x = x.reshape(-1, 1, 28, 28).astype(np.float32) / 255
    noise = np.random.default_rng(0).normal(size=x.shape).astype(np.float32) * 0.38
    x = np.round(np.clip(x + noise, 0, 1) * 255) / 255
    data = {"x": torch.from_numpy(x.astype(np.float32)), "y": torch.from_numpy(y.astype(np.int64))}
    torch.save(data, path)
    return data


def error(data, method, optimizer, lr):
    torch.manual_seed(0)
    model = torch.jit.load(MODEL)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    params = []
    for m in model.modules():
        if getattr(m, "original_name", "") == "BatchNorm2d":
            m.train()
            m.weight.requires_grad_(True)
            m.bias.requires_grad_(True)
            params += [m.weight, m.bias]
    opt = (torch.optim.Adam(params, lr=lr) if optimizer == "adam"
           else torch.optim.SGD(params, lr=max(lr, 1e-12), momentum=0.9, nesterov=True))
    wrong = 0
    for i in range(0, len(data["x"]), BATCH):
        x, y = data["x"][i:i + BATCH], data["y"][i:i + BATCH]
        if method == "bn":
            with torch.no_grad():
                z = model(x)
        else:
            z = model(x)
            if method == "ent":
                loss = -(z.softmax(1) * z.log_softmax(1)).sum(1).mean()
            else:
                p = z.softmax(1).gather(1, z.argmax(1, keepdim=True)).squeeze(1)
                loss = ((1 - p ** 0.8) / 0.8).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        wrong += (z.argmax(1) != y).sum().item()
    return wrong / len(data["x"])


def main():
    out = sys.argv[1]
    binary = sys.argv[2] if len(sys.argv) > 2 else "build/bin/robustlab"
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    path = os.path.join(out, "fmnist_noise_s5.pt")
    data = noisy_test_set(path)
    for method, optimizer, lr in RUNS:
        extra = "" if method == "bn" else f" --optimizer {optimizer} --lr {lr:g}"
        print(f"python {method} {optimizer if method != 'bn' else ''} error {error(data, method, optimizer, lr):.4f}")
        print(f"  robustlab: {binary} eval --threads 1 --model {MODEL} --dataset {path} "
              f"--batch-size {BATCH} --adapt {method}{extra}")


if __name__ == "__main__":
    main()
