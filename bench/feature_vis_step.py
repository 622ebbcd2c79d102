#!/usr/bin/python3
"""Feature visualisation (lucid's render_vis as Borowski et al. 2021 set it up; see
include/robustlab/psychophysics/feature_vis.h) written directly in PyTorch's Python API (Debian's
python3-torch), to time optimisation steps side by side with build/bench/bench_psychophysics
(FeatureVisSteps): the FMN reference CNN (TorchScript), conv2 channel 5, batch 10, 28 px with the
scaled padding (2) and jitters (2, 1), 1-channel Fourier parameterisation, random scale and
rotation, channel objective minus 1e2 times the diversity term, Adam lr 0.05, 200 steps.
Prints steps per second (median of 3 runs).
Usage: /usr/bin/python3 bench/feature_vis_step.py [threads, default 1] [reference dir]"""
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 1
REF = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "reference", "fmn")
STEPS, BATCH, SIZE, PAD, J1, J2 = 200, 10, 28, 2, 2, 1
SCALES = [1.0, 0.975, 1.025, 0.95, 1.05]
ANGLES = list(range(-5, 6))


def fftfreq_scale(h, w):
    fy = torch.fft.fftfreq(h)[:, None]
    fx = torch.fft.rfftfreq(w)[None, :] if w % 2 == 0 else torch.fft.fftfreq(w)[: w // 2 + 2][None, :].abs()
    freqs = torch.sqrt(fx * fx + fy * fy)
    return (1.0 / torch.clamp(freqs, min=1.0 / max(h, w)) * math.sqrt(h * w)).float()


def run(model):
    side = SIZE + 2 * PAD
    scale = fftfreq_scale(side, side)
    spectrum = (torch.randn(BATCH, 1, side, scale.shape[1], 2) * 0.01).requires_grad_(True)
    adam = torch.optim.Adam([spectrum], lr=0.05)
    for p in model.parameters():
        p.requires_grad_(False)
    for _ in range(STEPS):
        image = torch.fft.irfft2(torch.view_as_complex(spectrum) * scale, s=(side, side))[..., :side] / 4
        x = torch.sigmoid(image)
        oy, ox = random.randint(0, J1), random.randint(0, J1)
        x = x[:, :, oy:oy + x.shape[2] - J1, ox:ox + x.shape[3] - J1]
        s = random.choice(SCALES)
        if s != 1.0:
            x = F.interpolate(x, size=(int(s * x.shape[2]), int(s * x.shape[3])), mode="bilinear", align_corners=False)
        a = math.radians(random.choice(ANGLES))
        if a != 0:
            h, w = x.shape[2], x.shape[3]
            theta = torch.tensor([[math.cos(a), -math.sin(a) * h / w, 0.0], [math.sin(a) * w / h, math.cos(a), 0.0]])
            grid = F.affine_grid(theta.expand(x.shape[0], 2, 3), list(x.shape), align_corners=False)
            x = F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)
        oy, ox = random.randint(0, J2), random.randint(0, J2)
        x = x[:, :, oy:oy + x.shape[2] - J2, ox:ox + x.shape[3] - J2]
        # The network up to conv2, as robustlab's probe of the TorchScript graph runs it.
        h = F.max_pool2d(F.relu(model.bn1(model.conv1(x))), 2)
        out = model.conv2(h)
        objective = out[:, 5].mean()
        flat = out.flatten(2)
        grams = torch.bmm(flat, flat.transpose(1, 2)).flatten(1)
        grams = grams / torch.sqrt(torch.clamp(grams.pow(2).sum(1, keepdim=True), min=1e-10))
        sim = grams @ grams.t()
        diversity = (sim.sum() - sim.diagonal().sum()) / BATCH
        objective = objective - 1e2 * diversity
        adam.zero_grad()
        (-objective).backward()
        adam.step()


def main():
    torch.set_num_threads(THREADS)
    model = torch.jit.load(os.path.join(REF, "fmnist_cnn.pt")).eval()
    run(model)  # warm-up
    times = []
    for _ in range(3):
        start = time.perf_counter()
        run(model)
        times.append(time.perf_counter() - start)
    print("%.1f steps/s (threads %d)" % (STEPS / sorted(times)[1], THREADS))


main()
