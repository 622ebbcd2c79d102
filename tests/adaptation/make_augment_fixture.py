"""Writes tests/adaptation/data/augment_torchvision.npy: an input batch and the TTA benchmark's own
CoTTA and ROID augmentations of it (get_tta_transforms of mariodoebler/test-time-adaptation,
classification/augmentations/transforms_cotta.py, with torchvision), each drawn after
torch.manual_seed(1). robustlab's cotta_augment with a generator seeded 1 makes the same draws in the
same order, so tests/adaptation/tta_methods_test.cpp compares them value for value.

Usage: /usr/bin/python3 tests/adaptation/make_augment_fixture.py <benchmark>/classification
(needs python3-torch, python3-torchvision and python3-numpy)."""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, sys.argv[1])
from augmentations.transforms_cotta import get_tta_transforms  # noqa: E402

torch.manual_seed(0)
x = torch.rand(2, 3, 12, 12)
out = [x]
for kw in ({}, dict(padding_mode="reflect", cotta_augs=False)):
    torch.manual_seed(1)
    out.append(get_tta_transforms((12, 12), **kw)(x))
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "augment_torchvision.npy")
np.save(path, torch.stack(out).numpy().astype(np.float32))
print("wrote", path)
