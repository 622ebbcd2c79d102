// Batch-norm statistics adaptation to covariate shift (Schneider, Rusak, Eck, Bringmann, Brendel,
// Bethge, "Improving robustness against common corruptions by covariate shift adaptation",
// NeurIPS 2020, arXiv:2006.16971): each BN layer normalises with its source statistics mixed with
// the statistics of the current test batch by an N-sample prior,
//   mu = N/(N+n)·mu_s + n/(N+n)·mu_t,   sigma² = N/(N+n)·sigma_s² + n/(N+n)·sigma_t²,
// n the batch size. N = 0 is full adaptation (plain training-mode BN), N = inf none. Formulas and
// pitfalls: ../shared/reference/tta.md §1.
#pragma once

#include <limits>

#include <torch/types.h>

#include "robustlab/models/classifier.h"

namespace robustlab::adaptation {

struct BnOptions {
  /// N, the weight of the source statistics in samples. 0: full adaptation; infinity: none.
  double prior = 0.0;
  void validate() const;
};

/// Logits of `x` ([n,C,H,W] in [0,1]) with every batch-norm layer of `model` adapted to this batch
/// as above. The statistics are computed directly, layer by layer in module order (each from the
/// activations the already adapted earlier layers produce): the target variance is the unbiased
/// batch variance in the mixture, as the authors' code mixes PyTorch's running_var; N = 0 runs the
/// layers in training mode, which normalises with the biased variance, as PyTorch does. The model
/// is left exactly as it was (statistics, mode); no gradients are recorded.
/// Throws InvalidArgument when the model has no batch-norm layer with running statistics.
torch::Tensor predict_bn_adapted(Classifier& model, const torch::Tensor& x, const BnOptions& options);

/// Sets the running statistics of `layers` (batch-norm layers of `model`, in module order) to
/// source_weight · their current statistics + (1 − source_weight) · the statistics of `x`, layer by
/// layer as above (the batch variance unbiased), and leaves them and the model in evaluation mode:
/// the next forward normalises with the mixtures. Used by the prior above and by RoTTA's robust
/// batch norm, whose mixtures persist.
void mix_batch_statistics(Classifier& model, std::vector<NormLayer>& layers, const torch::Tensor& x,
                          double source_weight);

/// The batch-norm layers of `model` that keep running statistics; throws InvalidArgument naming
/// the model when there is none.
std::vector<NormLayer> batch_norm_layers(Classifier& model);

}  // namespace robustlab::adaptation
