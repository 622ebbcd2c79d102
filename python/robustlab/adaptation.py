"""Test-time adaptation: batch-norm adaptation (Schneider et al. 2020) and self-learning (Rusak et
al. 2022: ENT as TENT, hard/soft pseudo-labels, RPL)."""
from . import _robustlab as _c
from ._models import scripted


def bn_adapt(model, x, prior=0.0):
    """Logits of x with every batch norm adapted to x (prior N: the weight of the source statistics
    in samples; 0 is full adaptation). The model's stored statistics are left unchanged."""
    return _c.bn_adapt(scripted(model), x, float(prior))


class SelfLearner:
    """Online self-learning on a scripted model: ``step(x)`` predicts x with the current weights,
    then adapts on it. The model's parameters are updated in place; ``reset()`` and the learner's
    deletion restore the weights it started from.

    method: 'ent', 'hard-pl', 'soft-pl' or 'rpl'; optimizer 'sgd' or 'adam'; adapted:
    'bn-affine', 'norm-affine' or 'all'.
    """

    def __init__(self, model, method="rpl", optimizer="adam", lr=1e-2, q=0.8, steps_per_batch=1, episodic=False,
                 adapted="bn-affine"):
        self.model = scripted(model)
        self._learner = _c.SelfLearner(self.model, method, optimizer, float(lr), float(q), int(steps_per_batch),
                                       bool(episodic), adapted)

    def step(self, x):
        return self._learner.step(x)

    def reset(self):
        self._learner.reset()

    @property
    def stopped(self):
        """True after a non-finite loss (the weights of the last finite step were restored)."""
        return self._learner.stopped
