#!/usr/bin/python3
"""The video slot-attention baseline of robustlab (include/robustlab/objects/slot_video.h, attention
decoder) written in PyTorch's Python API, to time training side by side with `robustlab objects
train`. Same architecture, batch (8 clips x 4 frames), optimiser and clipping; the clips come from
a split written by `robustlab objects generate`.

usage: bench/slot_video_train.py DATA_DIR STEPS [THREADS]
"""
import math
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def grid(side):
    r = torch.linspace(0, 1, side)
    y, x = torch.meshgrid(r, r, indexing="ij")
    y, x = y.reshape(-1), x.reshape(-1)
    return torch.stack([x, y, 1 - x, 1 - y], 1)


def mlp(a, h, b):
    return nn.Sequential(nn.Linear(a, h), nn.ReLU(), nn.Linear(h, b))


class SlotVideo(nn.Module):
    def __init__(self, slots=5, dim=64, channels=32):
        super().__init__()
        c, d = channels, dim
        self.k, self.d = slots, dim
        self.cnn = nn.Sequential(nn.Conv2d(3, c, 5, 1, 2), nn.ReLU(), nn.Conv2d(c, c, 5, 2, 2), nn.ReLU(),
                                 nn.Conv2d(c, d, 5, 1, 2), nn.ReLU())
        self.pos = nn.Linear(4, d)
        self.input_norm = nn.LayerNorm(d)
        self.feature_mlp = mlp(d, d, d)
        self.feature_norm = nn.LayerNorm(d)
        self.q, self.kk, self.v = (nn.Linear(d, d, bias=False) for _ in range(3))
        self.slot_norm, self.mlp_norm, self.pred_norm = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.gru = nn.GRUCell(d, d)
        self.slot_mlp = mlp(d, 2 * d, d)
        self.predictor = mlp(d, 2 * d, d)
        self.colour = nn.Linear(d, 3)
        self.mu = nn.Parameter(torch.randn(1, 1, d) * math.sqrt(1 / d))
        self.log_sigma = nn.Parameter(torch.full((1, 1, d), math.log(math.sqrt(1 / d))))
        self.register_buffer("grid", grid(32))

    def attend(self, slots, inputs, iterations):
        x = self.feature_norm(inputs)
        keys, values = self.kk(x), self.v(x)
        n, k, d = slots.shape
        for _ in range(iterations):
            prev = slots
            q = self.q(self.slot_norm(slots))
            attn = torch.softmax(torch.bmm(keys, q.transpose(1, 2)) / math.sqrt(d), 2)
            w = (attn + 1e-8) / (attn + 1e-8).sum(1, keepdim=True)
            slots = self.gru(torch.bmm(w.transpose(1, 2), values).reshape(n * k, d), prev.reshape(n * k, d)).view(n, k, d)
            slots = slots + self.slot_mlp(self.mlp_norm(slots))
        return slots, attn

    def forward(self, frames):
        b, t = frames.shape[:2]
        f = self.cnn(frames.flatten(0, 1)).flatten(2).transpose(1, 2)
        inputs = self.feature_mlp(self.input_norm(f + self.pos(self.grid))).view(b, t, -1, self.d)
        slots = self.mu + self.log_sigma.exp() * torch.randn(b, self.k, self.d)
        per_slots, per_attn = [], []
        for i in range(t):
            if i > 0:
                slots = slots + self.predictor(self.pred_norm(slots))
            slots, attn = self.attend(slots, inputs[:, i], 3 if i == 0 else 1)
            per_slots.append(slots)
            per_attn.append(attn)
        s = torch.stack(per_slots, 1).flatten(0, 1)
        a = torch.stack(per_attn, 1).flatten(0, 1)
        n = s.shape[0]
        masks = F.interpolate(a.transpose(1, 2).reshape(n, self.k, 32, 32), size=(64, 64), mode="bilinear",
                              align_corners=False)
        recon = (masks.unsqueeze(2) * self.colour(s).view(n, self.k, 3, 1, 1)).sum(1)
        return recon.view(b, t, 3, 64, 64)


def main():
    data, steps = sys.argv[1], int(sys.argv[2])
    if len(sys.argv) > 3:
        torch.set_num_threads(int(sys.argv[3]))
    videos = np.load(f"{data}/train_000.npy")
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = SlotVideo()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for step in range(steps):
        clips = [videos[rng.integers(len(videos))][s:s + 4] for s in rng.integers(0, 7, size=8)]
        x = torch.from_numpy(np.stack(clips)).permute(0, 1, 4, 2, 3).float() / 255
        for g in opt.param_groups:
            g["lr"] = 1e-3 * min(1.0, (step + 1) / 100)
        loss = F.mse_loss(model(x), x)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.05)
        opt.step()
    elapsed = time.perf_counter() - start
    print(f"{steps} steps in {elapsed:.2f} s: {steps * 32 / elapsed:.1f} images/s, final mse {loss.item():.5f}")


if __name__ == "__main__":
    main()
