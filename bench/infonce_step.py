#!/usr/bin/python3
"""The training step of bench/infonce_bench.cpp in PyTorch's Python API (Debian's python3-torch):
the contrastive-identifiability study of Zimmermann et al. 2021 (cl-ica's main_mlp.py train_step,
../shared/reference/replearn.md §1). A frozen 3-layer generator g (LeakyReLU 0.2), the reference
encoder n -> 10n -> 50n x4 -> 10n -> n (LeakyReLU 0.01), the loss written with the reference's own
arithmetic — SimCLRLoss (dot product, sphere output) or LpSimCLRLoss with p = 1, which builds the
[B, B, n] difference tensor of every pair — then backward and Adam (lr 1e-4). cl-ica calls h on
the two views separately; so does this script. The pairs are drawn beforehand (uniform box with a
Laplace conditional clipped to the box; uniform sphere with a small Gaussian step projected back:
the step's cost does not depend on how they were drawn).
Prints ms per step and pairs/s for 1 and 2 threads, batches 512 and 6144, both losses.
Usage: /usr/bin/python3 bench/infonce_step.py"""
import time

import torch
import torch.nn as nn

N = 10


def encoder(sphere):
    widths = [N, 10 * N, 50 * N, 50 * N, 50 * N, 50 * N, 10 * N]
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), nn.LeakyReLU()]
    layers.append(nn.Linear(widths[-1], N))
    f = nn.Sequential(*layers)
    if not sphere:
        return f
    return lambda x: (lambda y: y / torch.norm(y, dim=-1, keepdim=True))(f(x)), f


def generator():
    layers = []
    for i in range(3):
        lin = nn.Linear(N, N, bias=False)
        w = torch.rand(N, N) * 2 - 1
        lin.weight.data = w / w.norm(dim=0, keepdim=True)
        layers.append(lin)
        if i < 2:
            layers.append(nn.LeakyReLU(0.2))
    g = nn.Sequential(*layers)
    for p in g.parameters():
        p.requires_grad = False
    return g


def dot_loss(a, b, c, tau=1.0, alpha=0.5):
    neg = torch.einsum("ij,kj -> ik", a, c)
    pos = torch.einsum("ij,ij -> i", a, b)
    neg_and_pos = torch.cat((neg, pos.unsqueeze(1)), dim=1)
    return (2 * (alpha * (-pos / tau) + (1 - alpha) * torch.logsumexp(neg_and_pos / tau, dim=1))).mean()


def l1_loss(a, b, c, p=1, tau=1.0, alpha=0.5):
    neg = torch.norm(a.unsqueeze(1) - c.unsqueeze(0), p=p, dim=-1).pow(p)
    pos = torch.norm(a - b, p=p, dim=-1).pow(p)
    neg_and_pos = torch.cat((neg, pos.unsqueeze(1)), dim=1)
    return (2 * (alpha * pos / tau + (1 - alpha) * torch.logsumexp(-neg_and_pos / tau, dim=1))).mean()


def measure(threads, batch, dot, seconds=2.0):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    g = generator()
    if dot:
        f, module = encoder(True)
        z1 = torch.randn(batch, N)
        z1 = z1 / z1.norm(dim=1, keepdim=True)
        z2 = z1 + 0.1 * torch.randn(batch, N)
        z2 = z2 / z2.norm(dim=1, keepdim=True)
    else:
        f = module = encoder(False)
        z1 = torch.rand(batch, N)
        z2 = (z1 + torch.distributions.Laplace(0.0, 0.05).sample((batch, N))).clamp(0, 1)
    opt = torch.optim.Adam(module.parameters(), lr=1e-4)
    loss_fn = dot_loss if dot else l1_loss

    def step():
        opt.zero_grad()
        a = f(g(z1))
        b = f(g(z2))
        loss = loss_fn(a, b, torch.roll(a, 1, 0))
        loss.backward()
        opt.step()
        return loss.item()

    step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or steps < 3:
        step()
        steps += 1
    return (time.perf_counter() - start) / steps


def main():
    for threads in (1, 2):
        for batch in (512, 6144):
            for dot in (True, False):
                t = measure(threads, batch, dot)
                print(f"pytorch-python threads={threads} batch={batch} loss={'dot' if dot else 'L1'}: "
                      f"{1000 * t:.1f} ms per step, {batch / t:.0f} pairs/s", flush=True)


if __name__ == "__main__":
    main()
