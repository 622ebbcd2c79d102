// The contrastive losses of Zimmermann et al. 2021 (arXiv:2102.08850, eq. 1 and §4), as cl-ica's
// losses.py computes them (../shared/reference/replearn.md §1.4), for a batch of encoded positive
// pairs a_i = f(g(z_i)), b_i = f(g(z̃_i)). The negatives are cl-ica's: c = roll(a, 1) along the
// batch, and every c_j is a negative of every a_i, so the self-pair a_i·a_i is among them.
//
// - kDot (SimCLRLoss, used with --p 0): pos_i = a_i·b_i, neg_ij = a_i·c_j,
//   loss_i = 2[α(−pos_i/τ) + (1−α)·logsumexp_j([neg_i·, pos_i]/τ)], α = 0.5.
// - kLp (LpSimCLRLoss with simclr_compatibility_mode, pow): pos_i = ‖a_i − b_i‖_p^p,
//   neg_ij = ‖a_i − c_j‖_p^p, loss_i = 2[α pos_i/τ + (1−α) logsumexp([−neg_i·, −pos_i]/τ)].
//   Without compatibility mode the second term is logmeanexp over the negatives only; without
//   pow the norms are not raised to p. For p < 1 the code adds 1e-12 inside the norms (to
//   |a − b| for the positives, to the difference before |·| for the negatives) and, a quirk kept
//   here, indexes the negatives transposed: neg_ij = ‖a_j − c_i‖.
// - kSupervised: the MSE baseline, mean (f(g(z)) − z)².
//
// Lp negatives for p >= 1 go through torch::cdist (no [B, B, n] difference tensor; the Python
// code builds one, 1.5 GB at the paper's batch of 6144); p < 1 builds it as the reference does.
#pragma once

#include <torch/types.h>

#include <string>

namespace robustlab::representation {

enum class ContrastiveLoss { kDot, kLp, kSupervised };
ContrastiveLoss parse_contrastive_loss(const std::string& name);  ///< dot, lp, supervised
std::string to_string(ContrastiveLoss loss);

struct InfoNceOptions {
  ContrastiveLoss loss = ContrastiveLoss::kLp;
  double p = 2.0;
  double tau = 1.0;
  double alpha = 0.5;
  bool compatibility_mode = true;  ///< logsumexp over negatives and the positive (main_mlp.py)
  bool pow = true;                 ///< ‖·‖_p^p instead of ‖·‖_p
  void validate() const;           ///< tau > 0, p > 0 for kLp, alpha in [0, 1]
};

/// The per-sample losses [B] of the encoded pairs a, b: [B, n] (kDot, kLp). Mean them for training.
torch::Tensor infonce_loss(const torch::Tensor& a, const torch::Tensor& b, const InfoNceOptions& options);

}  // namespace robustlab::representation
