"""Metrics on numpy arrays (or torch tensors): model-vs-human error consistency (Geirhos et al.
2020), identifiability (R², MCC; Zimmermann et al. 2021) and the disentanglement_lib metrics
(Locatello et al. 2019; as SlowVAE evaluates them, Klindt et al. 2021)."""
import numpy as np
import torch

from . import _robustlab as _c


def _tensor(a, name):
    if isinstance(a, torch.Tensor):
        return a
    arr = np.asarray(a)
    if arr.dtype == object:
        raise ValueError(f"{name}: expected a numeric array")
    return torch.from_numpy(np.ascontiguousarray(arr))  # shares memory with a contiguous array


def error_consistency(first, second):
    """Error consistency of two observers' correctness vectors (bool, same length):
    {'observed', 'expected', 'kappa'}."""
    return _c.error_consistency([bool(v) for v in first], [bool(v) for v in second])


def linear_r2(z, h):
    """cl-ica's R²: a linear regression of z [N, F] on h [N, D], fitted and scored on the same samples."""
    return _c.linear_r2(_tensor(z, "z"), _tensor(h, "h"))


def mcc(z, h, method="pearson", seed=0):
    """Mean correlation coefficient: 'pearson' (cl-ica, with its rescaling) or 'spearman'
    (disentanglement_lib/SlowVAE, factors padded with numpy RandomState(seed) noise when F < D)."""
    return _c.mcc(_tensor(z, "z"), _tensor(h, "h"), method, int(seed))


def mig(factors, codes):
    """Mutual information gap of integer factors [N, F] and codes [N, D]."""
    return _c.mig(_tensor(factors, "factors"), _tensor(codes, "codes"))


def modularity(factors, codes):
    return _c.modularity(_tensor(factors, "factors"), _tensor(codes, "codes"))


def explicitness(factors_train, codes_train, factors_test, codes_test):
    """(train, test) macro ROC-AUC of a logistic regression per factor."""
    return _c.explicitness(*(_tensor(a, "array") for a in (factors_train, codes_train, factors_test, codes_test)))


def dci(factors_train, codes_train, factors_test, codes_test):
    """(disentanglement, completeness, informativeness_train, informativeness_test)."""
    return _c.dci(*(_tensor(a, "array") for a in (factors_train, codes_train, factors_test, codes_test)))


def sap(factors_train, codes_train, factors_test, codes_test):
    return _c.sap(*(_tensor(a, "array") for a in (factors_train, codes_train, factors_test, codes_test)))
