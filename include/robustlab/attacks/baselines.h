// Minimum-norm baselines beside FMN: DDN (Rony et al., "Decoupling Direction and Norm for
// Efficient Gradient-Based L2 Adversarial Attacks and Defenses", CVPR 2019, arXiv:1811.09600),
// and PGD (Madry et al. 2018, arXiv:1706.06083) made minimal by a per-sample search over eps,
// as AttackBench does for fixed-budget attacks (Cinà et al. 2025, arXiv:2404.19460), optionally
// with the step-size schedule of APGD (Croce & Hein, ICML 2020, arXiv:2003.01690).
#pragma once

#include <vector>

#include "robustlab/attacks/common.h"

namespace robustlab::attacks {

struct DdnOptions {
  int64_t steps = 100;
  double init_epsilon = 1.0;
  double gamma = 0.05;
  bool targeted = false;
  void validate() const;
};

/// DDN (L2): a cross-entropy gradient step of size alpha (cosine-annealed from 1 to 0.01; the
/// paper's schedule, not Foolbox's compounding one), the norm eps multiplied by (1 - gamma) when
/// adversarial and (1 + gamma) otherwise, the iterate rescaled onto the eps-sphere and clipped to
/// [0,1]. A zero gradient is replaced by a random direction.
AttackResult ddn(Classifier& model, const torch::Tensor& x, const torch::Tensor& labels, const DdnOptions& options,
                 const torch::Tensor& targets = {});

struct PgdOptions {
  Norm norm = Norm::kLinf;  ///< L1, L2 or Linf
  int64_t steps = 10;       ///< PGD steps per eps tried
  int64_t search_steps = 10;  ///< eps values tried per sample (doubling, then bisection)
  double initial_epsilon = -1;  ///< first eps; < 0: 10 (L1), 1 (L2), 1/255 (Linf), as AttackBench
  bool targeted = false;
  /// APGD's step-size schedule (Croce & Hein 2020, Algorithm 1) instead of fixed steps: eta starts
  /// at 2 eps, momentum 0.75, and at the checkpoints 0.22, 0.41, 0.57, ... of the steps eta is
  /// halved (restarting from the best point) where the loss rose on under 75 % of the steps since.
  bool apgd = false;
  void validate() const;
};

/// APGD's checkpoints for `steps` iterations: w_j = ceil(p_j steps) with p_0 = 0, p_1 = 0.22 and
/// p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06), for the p_j below 1 (100 steps: 22, 41, 58,
/// 70, 80, 87, 93, 99 — 0.41 + 0.16 rounds up in double, as in the reference code).
std::vector<int64_t> apgd_checkpoints(int64_t steps);

/// PGD with per-sample eps search: each sample's eps doubles from initial_epsilon until PGD
/// (logit-difference loss, step 2.5 eps / steps — or APGD's schedule — along the sign, L2- or
/// L1-normalised gradient,
/// projection onto the ball and the box) succeeds, then is bisected. Returns the smallest
/// adversarial found. Samples misclassified to begin with get norm 0.
AttackResult pgd_minimal(Classifier& model, const torch::Tensor& x, const torch::Tensor& labels,
                         const PgdOptions& options, const torch::Tensor& targets = {});

}  // namespace robustlab::attacks
