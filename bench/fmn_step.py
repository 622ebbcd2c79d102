#!/usr/bin/python3
"""FMN (Pintor et al. 2021, arXiv:2102.12827, Algorithm 1 with the official code's schedules and
projections, ../shared/reference/fmn.md) written directly in PyTorch's Python API (Debian's
python3-torch), to time one attack step side by side with build/bench/bench_fmn_step.

The official implementation runs the same tensor operations through EagerPy and Foolbox wrappers,
so this plain version is a lower bound on its step time. Same protocol as the C++ benchmark: one
thread, the reference CNN, the first B reference images, a 20-step untargeted attack from the
clean input (alpha_init 1, gamma 0.05), median of 3 runs divided by 20; also forward + input
gradient alone. Prints milliseconds per step.
Usage: /usr/bin/python3 bench/fmn_step.py [reference dir, default ../shared/reference/fmn]"""
import math
import os
import sys
import time

import torch

REF = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "reference", "fmn")
STEPS = 20


def loss_and_grad(model, x, y):
    x = x.clone().requires_grad_(True)
    logits = model(x)
    own = logits.gather(1, y[:, None])[:, 0]
    other = logits.scatter(1, y[:, None], -math.inf).amax(1)
    l = own - other
    (g,) = torch.autograd.grad(l.sum(), x)
    return l.detach(), logits.detach(), g


def norms(v, p):
    f = v.flatten(1)
    if p == 0:
        return (f != 0).sum(1).to(v.dtype)
    if p == 1:
        return f.abs().sum(1)
    if p == 2:
        return f.square().sum(1).sqrt()
    return f.abs().amax(1)


def project(delta, p, eps):
    f = delta.flatten(1)
    if p == 2:
        n = f.square().sum(1, keepdim=True).sqrt()
        f = f * torch.clamp(eps[:, None] / n.clamp_min(1e-12), max=1.0)
    elif p == math.inf:
        f = torch.maximum(torch.minimum(f, eps[:, None]), -eps[:, None])
    elif p == 1:  # Duchi et al. 2008, sort-based
        a = f.abs()
        mu = a.sort(1, descending=True).values
        cs = mu.cumsum(1)
        ar = torch.arange(1, f.shape[1] + 1, dtype=f.dtype)
        rho = ((mu * ar > cs - eps[:, None]) * ar).amax(1).long() - 1
        theta = (cs.gather(1, rho[:, None]) - eps[:, None]) / (rho[:, None] + 1.0)
        inside = (a.sum(1) < eps)[:, None]
        f = torch.where(inside, f, (a - theta).clamp_min(0) * f.sign())
    else:  # keep the eps largest entries
        a = f.abs()
        k = eps.long().clamp(1, f.shape[1])
        thr = a.sort(1, descending=True).values.gather(1, (k - 1)[:, None])
        f = torch.where(a >= thr, f, torch.zeros_like(f))
    return f.view_as(delta)


def fmn(model, x, y, p, steps=STEPS, alpha0=1.0, gamma0=0.05):
    n = x.shape[0]
    dual = {1: math.inf, 2: 2, math.inf: 1}.get(p)
    delta = torch.zeros_like(x)
    eps = torch.ones(n) if p == 0 else torch.full((n,), math.inf)
    worst = torch.full((n,), float(x[0].numel())) if p == 0 else norms(torch.maximum(x, 1 - x), p)
    best, best_delta = worst.clone(), delta.clone()
    found = torch.zeros(n, dtype=torch.bool)
    for k in range(steps):
        c = (1 + math.cos(math.pi * k / steps)) / 2
        alpha = alpha0 / 100 + (alpha0 - alpha0 / 100) * c
        gamma = 0.001 + (gamma0 - 0.001) * c
        l, logits, g = loss_and_grad(model, x + delta, y)
        adv = logits.argmax(1) != y
        nrm = norms(delta, p)
        better = adv & (nrm <= best)
        best = torch.where(better, nrm, best)
        best_delta = torch.where(better[:, None, None, None], delta, best_delta)
        found |= adv
        if p == 0:
            shrink = torch.minimum(torch.minimum(eps - 1, (eps * (1 - gamma)).floor()), best)
            grow = torch.maximum(eps + 1, (eps * (1 + gamma)).floor())
            eps = torch.where(adv, shrink, grow).clamp_min(0)
        else:
            estimate = nrm + l.abs() / norms(g, dual)
            eps = torch.where(adv, torch.minimum(eps * (1 - gamma), best),
                              torch.where(found, eps * (1 + gamma), estimate))
        eps = torch.minimum(eps, worst)
        gn = norms(g, 2).clamp_min(1e-12)
        delta = project(delta - (alpha / gn)[:, None, None, None] * g, p, eps)
        delta = (x + delta).clamp(0, 1) - x
    with torch.no_grad():
        return model(x + best_delta).argmax(1) != y


def median_ms(fn, runs=3):
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2] * 1000


def main():
    torch.set_num_threads(1)
    model = torch.jit.load(os.path.join(REF, "fmnist_cnn.pt")).eval()
    for q in model.parameters():
        q.requires_grad_(False)
    data = torch.load(os.path.join(REF, "fmnist_test200.pt"))
    print("B\tfwd+bwd\tL0\tL1\tL2\tLinf  (ms per step)")
    for b in (1, 16, 200):
        x, y = data["x"][:b], data["y"][:b]
        row = [median_ms(lambda: [loss_and_grad(model, x, y) for _ in range(STEPS)]) / STEPS]
        for p in (0, 1, 2, math.inf):
            row.append(median_ms(lambda: fmn(model, x, y, p)) / STEPS)
        print(f"{b}\t" + "\t".join(f"{v:.2f}" for v in row), flush=True)


if __name__ == "__main__":
    main()
