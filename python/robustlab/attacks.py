"""Minimum-norm attacks (FMN, Pintor et al. 2021)."""
import torch

from . import _robustlab as _c
from ._models import scripted


def fmn(model, x, y, norm="2", steps=100, alpha_init=1.0, gamma_init=0.05, official=False, targeted=False,
        targets=None):
    """The Fast Minimum-Norm attack, as ``robustlab attack``.

    model: a torch.jit.ScriptModule or a scriptable torch.nn.Module taking [N, C, H, W] images in
    [0, 1] and returning logits. x: float32 [N, C, H, W] in [0, 1]; y: int64 [N] labels.
    norm: '0', '1', '2' or 'inf'. official=True follows the authors' code exactly; the default adds
    the box-aware search for samples the official trajectory does not solve.
    Returns (adversarial, success, norms): [N, C, H, W], bool [N], float64 [N] (inf on failure).
    """
    module = scripted(model)
    return _c.fmn(module, x, y, str(norm), int(steps), float(alpha_init), float(gamma_init), bool(official),
                  bool(targeted), targets)
