"""robustlab from Python: the C++ toolkit's corruptions, attacks, test-time adaptation and metrics.

One import gives the drop-ins the field's Python tools offer, computed by robustlab's single C++
implementation (no copy of tensors; the GIL is released while the work runs, so threads run in
parallel; Ctrl-C interrupts long calls):

- ``corrupt`` / ``get_corruption_names``: imagecorruptions' signature and behaviour;
- ``attacks.fmn``: the Fast Minimum-Norm attack on a scripted (or scriptable) model;
- ``adaptation.bn_adapt`` / ``adaptation.SelfLearner``: batch-norm adaptation and self-learning;
- ``metrics``: model-vs-human error consistency; identifiability (R², MCC) and disentanglement
  (MIG, DCI, SAP, modularity, explicitness) metrics on numpy arrays;
- ``results``: the results database as a list of dicts (or a pandas DataFrame when pandas is there).

Errors are ValueError (bad values, shapes, names), FileNotFoundError (missing files) and
KeyboardInterrupt (Ctrl-C), with the library's messages. docs/python.md has a walkthrough.
"""
import os

import torch  # LibTorch's Python side must be loaded before the extension (shared libraries)

from . import _robustlab as _c

# The CLI's allocator setting (robustlab/core/allocator.h): freed buffers stay in the heap instead
# of being unmapped and faulted in again on the next call (motion blur and snow were 1.6x slower
# per image without it, bench/python_corrupt.py). ROBUSTLAB_MALLOC=default leaves glibc's policy.
if os.environ.get("ROBUSTLAB_MALLOC") != "default":
    _c.keep_freed_memory()
_core = _c.better_openblas_core()
if _core:
    # OpenBLAS chose its kernels when torch loaded it; only the variable at start-up changes them.
    import warnings

    warnings.warn(f"OpenBLAS did not recognise this CPU and runs generic kernels; start Python with "
                  f"OPENBLAS_CORETYPE={_core} for ~3x faster matrix products", stacklevel=2)

from . import adaptation, attacks, metrics, results  # noqa: E402

__all__ = ["corrupt", "get_corruption_names", "set_threads", "threads", "attacks", "adaptation", "metrics", "results"]

_SUBSETS = {
    "common": lambda name, group, benchmark: benchmark,
    "validation": lambda name, group, benchmark: not benchmark,
    "all": lambda name, group, benchmark: True,
    "noise": lambda name, group, benchmark: group == "noise",
    "blur": lambda name, group, benchmark: group == "blur",
    "weather": lambda name, group, benchmark: group == "weather",
    "digital": lambda name, group, benchmark: group == "digital",
}


def set_threads(n):
    """Threads of robustlab's own loops, OpenCV's and LibTorch's intra-op pool (the CLI's --threads).
    The default is every core; one corrupt call on a small image is fastest on one thread, and
    threads of your own (a DataLoader's workers, a thread pool) then run calls side by side."""
    _c.set_threads(int(n))


def threads():
    """The thread count set_threads set (default: every core)."""
    return _c.threads()


def get_corruption_names(subset="common"):
    """The corruption names of a subset, as imagecorruptions.get_corruption_names: 'common' (the
    15 of the benchmark), 'validation' (the 4 held-out ones), 'all', or a group ('noise', 'blur',
    'weather', 'digital')."""
    if subset not in _SUBSETS:
        raise ValueError(f"get_corruption_names: unknown subset '{subset}' (expected one of {sorted(_SUBSETS)})")
    return [name for name, group, benchmark in _c.corruption_names() if _SUBSETS[subset](name, group, benchmark)]


def corrupt(image, severity=1, corruption_name=None, corruption_number=-1, *, seed=0, key=""):
    """Corrupt an image as imagecorruptions.corrupt does.

    image: numpy uint8 array, HxWx3 (RGB) or HxW (stacked to three channels), at least 32x32.
    severity: 1..5. corruption_name, or corruption_number (the index in get_corruption_names('all')).
    seed, key: the random stream (robustlab is deterministic: the same seed and key give the same
    image; ``robustlab corrupt`` uses the image's path relative to its input folder as the key).
    Returns a new uint8 HxWx3 array.
    """
    if corruption_name is None:
        names = get_corruption_names("all")
        if not 0 <= corruption_number < len(names):
            raise ValueError("corrupt: either corruption_name or a corruption_number in 0..18 must be given")
        corruption_name = names[corruption_number]
    return _c.corrupt(image, corruption_name, int(severity), int(seed), str(key))
