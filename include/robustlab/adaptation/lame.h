// LAME, Laplacian Adjusted Maximum-likelihood Estimation (Boudiaf, Mueller, Ben Ayed, Bertinetto,
// "Parameter-free Online Test-time Adaptation", CVPR 2022, arXiv:2201.05718), as the TTA benchmark
// runs it (mariodoebler/test-time-adaptation, classification/methods/lame.py; tta.md §3):
// output-only — the model is not changed and predicts with its source statistics — each batch's
// class assignments Y are adjusted so that samples close in feature space agree:
//   unary = −log(softmax(logits) + 1e-10); features L2-normalised;
//   kernel = exp(−‖f_i − f_j‖² / 2σ²), σ the mean over samples of the distance to the k-th nearest
//   (k = 5, the sample itself counted first; the "rbf" affinity, the benchmark's default);
//   Y ← softmax(−unary), then up to 100 times Y ← softmax(−unary + λ K Y) (λ = 1), stopping once
//   the energy Σ (unary·Y − λ (K Y)·Y + Y log Y) changes by at most 1e-8 of itself (after the third).
// The returned Y (probabilities) are the predictions.
#pragma once

#include <torch/types.h>

#include "robustlab/models/classifier.h"

namespace robustlab::adaptation {

struct LameOptions {
  int64_t knn = 5;
  double bound_lambda = 1.0;
  int64_t max_steps = 100;
  bool force_symmetry = false;  ///< use (K + Kᵀ)/2
  void validate() const;
};

/// The rbf affinity of L2-normalised features [N, D]: [N, N].
torch::Tensor rbf_affinity(const torch::Tensor& features, int64_t knn);
/// The bound optimisation of the Laplacian-regularised assignment: Y [N, classes].
torch::Tensor laplacian_optimization(const torch::Tensor& unary, const torch::Tensor& kernel, double bound_lambda,
                                     int64_t max_steps);
/// LAME's predictions (probabilities) for a batch; the model runs in evaluation mode, unchanged.
torch::Tensor predict_lame(Classifier& model, const torch::Tensor& x, const LameOptions& options = {});

}  // namespace robustlab::adaptation
