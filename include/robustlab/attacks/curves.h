// Robustness curves from per-sample minimal norms: the security-evaluation curve of a model
// (robust accuracy as a function of eps; e.g. Pintor et al. 2021, Fig. 2), and the per-sample best
// over several attacks, as robustness evaluations combine attacks (AttackBench's "ensemble").
#pragma once

#include <torch/types.h>

#include <vector>

namespace robustlab::attacks {

/// Robust accuracy at each eps: the fraction of samples whose minimal norm exceeds eps (a failed
/// attack counts as +inf, i.e. robust at every eps; a sample misclassified clean has norm 0).
/// norms: [N] float64.
std::vector<double> robust_accuracy(const torch::Tensor& norms, const std::vector<double>& epsilons);

/// The per-sample minimum of several attacks' norms ([N] each).
torch::Tensor best_of(const std::vector<torch::Tensor>& norms);

/// Median with failures as +inf; for an even count the mean of the two middle values (+inf if
/// either is infinite).
double median_norm(const torch::Tensor& norms);

/// What an attack's per-sample norms say at a glance.
struct NormSummary {
  double success_rate = 0.0;  ///< fraction of finite norms
  double median = 0.0;        ///< median_norm
  std::vector<double> robust_accuracy;  ///< at each requested eps
};
NormSummary summarize(const torch::Tensor& norms, const std::vector<double>& epsilons = {});

}  // namespace robustlab::attacks
