#!/usr/bin/python3
"""The training step of bench/disentanglement_bench.cpp (BM_SlowVaeStep) in PyTorch's Python API
(Debian's python3-torch): SlowVAE (Klindt et al. 2021, bethgelab/slow_disentanglement's BetaVAE_H
and solver loss, ../shared/reference/replearn.md §2.1-2.2) on one batch of 32 pairs (64 binary
64x64 images), Adam lr 1e-4. The images are random blobs (the step's cost does not depend on them).
Prints images/s for 1 and 2 threads.
Usage: /usr/bin/python3 bench/slowvae_step.py"""
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class BetaVAE(nn.Module):
    def __init__(self, z_dim=10, nc=1):
        super().__init__()
        self.z_dim = z_dim
        self.encoder = nn.Sequential(
            nn.Conv2d(nc, 32, 4, 2, 1), nn.ReLU(True), nn.Conv2d(32, 32, 4, 2, 1), nn.ReLU(True),
            nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(True), nn.Conv2d(64, 64, 4, 2, 1), nn.ReLU(True),
            nn.Conv2d(64, 256, 4, 1), nn.ReLU(True), nn.Flatten(), nn.Linear(256, z_dim * 2))
        self.decoder = nn.Sequential(
            nn.Linear(z_dim, 256), nn.Unflatten(1, (256, 1, 1)), nn.ReLU(True), nn.ConvTranspose2d(256, 64, 4),
            nn.ReLU(True), nn.ConvTranspose2d(64, 64, 4, 2, 1), nn.ReLU(True), nn.ConvTranspose2d(64, 32, 4, 2, 1),
            nn.ReLU(True), nn.ConvTranspose2d(32, 32, 4, 2, 1), nn.ReLU(True), nn.ConvTranspose2d(32, nc, 4, 2, 1))
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                nn.init.kaiming_normal_(m.weight)
                m.bias.data.fill_(0)

    def forward(self, x):
        d = self.encoder(x)
        mu, logvar = d[:, :self.z_dim], d[:, self.z_dim:]
        z = mu + (logvar / 2).exp() * torch.randn_like(mu)
        return self.decoder(z), mu, logvar


def cross_ent_laplace(mean, logvar, rate, normal):
    sigma = torch.exp(logvar).sqrt()
    return (-torch.log(rate / 2) + rate * sigma * np.sqrt(2 / np.pi) * torch.exp(-mean ** 2 / (2 * torch.exp(logvar)))
            - rate * mean * (1 - 2 * normal.cdf(mean / sigma)))


def loss_fn(x, recon, mu, logvar, beta=1.0, gamma=10.0, rate=torch.tensor([6.0])):
    normal = torch.distributions.normal.Normal(torch.zeros(mu.shape[1]), torch.ones(mu.shape[1]))
    rec = F.binary_cross_entropy_with_logits(recon, x, reduction="sum") / x.size(0)
    ent = 0.5 * (logvar + np.log(2 * np.pi * np.e))
    ce_n = 0.5 * (mu ** 2 + torch.exp(logvar)) + np.log(np.sqrt(2 * np.pi))
    ce_l = (cross_ent_laplace(mu[::2] - mu[1::2], logvar[::2], rate, normal)
            + cross_ent_laplace(mu[1::2] - mu[::2], logvar[1::2], rate, normal))
    ent, ce_n, ce_l = [t.sum(1).mean(0, True) for t in (ent, ce_n, ce_l)]
    return 2 * rec + beta * (ce_n - ent) + gamma * (ce_l - ent)


def measure(threads, seconds=3.0):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = BetaVAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.999))
    x = (torch.rand(64, 1, 64, 64) > 0.9).float()

    def step():
        recon, mu, logvar = model(x)
        loss = loss_fn(x, recon, mu, logvar)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or steps < 3:
        step()
        steps += 1
    return 64 * steps / (time.perf_counter() - start)


if __name__ == "__main__":
    for t in (1, 2):
        print(f"pytorch-python slowvae threads={t}: {measure(t):.0f} images/s", flush=True)
