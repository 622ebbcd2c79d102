// The Fast Minimum-Norm attack (Pintor, Roli, Brendel and Biggio, "Fast Minimum-norm Adversarial
// Attacks through Adaptive Norm Constraints", NeurIPS 2021, arXiv:2102.12827, Algorithm 1; the
// official implementation's details and the bugs of the public ones are in
// ../shared/reference/fmn.md). For p = 0, 1, 2 and infinity, untargeted or targeted, batched with
// everything per sample.
//
// Two modes:
// - official: Algorithm 1 as the authors' code runs it, with correct projections (Foolbox's L2
//   projection is a no-op, its L0 keeps one entry too many, the official L0 keeps everything at
//   eps = 0; none of that is reproduced). Until the first adversarial point, eps comes from the
//   first-order distance |l| / ||grad||_q, which ignores the [0,1] box: on Fashion-MNIST, where
//   most pixels sit at 0, the official L1 and L2 attacks stop short of the boundary on ~30 % of
//   the images (reference §4).
// - box-aware (the default): every sample follows the official trajectory; one still without an
//   adversarial point after the first tenth of the steps also gets a second row that, for L1
//   and L2, uses the smallest perturbation reaching the *linearised* boundary inside the box
//   (found exactly per sample: a fractional knapsack for L1, a bisection on the gradient
//   multiplier for L2) as its distance estimate and takes that step, with an overshoot that grows
//   while it keeps failing, then runs the official algorithm once adversarial. Each sample
//   returns the better of its rows: never worse than the official attack, and successful where
//   the box cuts the official search short. L0 and L-infinity run as in the official algorithm.
#pragma once

#include <optional>

#include "robustlab/attacks/common.h"

namespace robustlab::attacks {

struct FmnOptions {
  Norm norm = Norm::kL2;
  int64_t steps = 100;
  double alpha_init = 1.0;   ///< initial delta-step size alpha_0
  double alpha_final = -1;   ///< alpha_K; < 0 means alpha_init / 100
  double gamma_init = 0.05;  ///< initial eps-step factor gamma_0
  double gamma_final = 0.001;
  bool targeted = false;
  bool official = false;  ///< true: the authors' algorithm; false: the box-aware default
  int64_t binary_search_steps = 10;  ///< with starting points
  void validate() const;
};

/// Runs FMN on x ([N,C,H,W] in [0,1]) with true labels [N]; a targeted attack also takes
/// targets [N], each different from its label. `starting_points`, when given, must all be
/// adversarial; the attack then starts on the boundary found by bisection between x and them.
/// Throws InvalidArgument for bad options, labels out of range, a target equal to the label or a
/// starting point that is not adversarial, and ShapeError for mismatched shapes.
AttackResult fmn(Classifier& model, const torch::Tensor& x, const torch::Tensor& labels, const FmnOptions& options,
                 const torch::Tensor& targets = {}, const std::optional<torch::Tensor>& starting_points = std::nullopt);

}  // namespace robustlab::attacks
