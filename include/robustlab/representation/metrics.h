// Identifiability metrics for any pair (true latents or factors z [N, F], codes h [N, D]), the one
// metrics layer of the representation studies:
//
// - linear_r2: cl-ica's linear identifiability (Zimmermann et al. 2021, arXiv:2102.08850, §5;
//   disentanglement_utils.linear_disentanglement): a linear regression with intercept of z on h,
//   fitted and scored on the same samples (sklearn's LinearRegression + r2_score, uniform average
//   over the dimensions of z). Least squares in float64.
// - mcc_pearson: cl-ica's permutation identifiability (permutation_disentanglement, "pearson",
//   munkres, rescaling=True): each code column j is first multiplied by β_j = Σ z_j h_j / Σ h_j²
//   (same index j; needs D = F), then C = Pearson(z, h)[F × D], the assignment maximising Σ|C|,
//   and MCC = mean |C| over the assigned pairs.
// - mcc_spearman: the MCC of slow_disentanglement / disentanglement_lib (Klindt et al. 2021,
//   arXiv:2007.10930; mcc_metric): Spearman correlation (average ranks for ties), the factors
//   padded to D rows with N(0, 1) noise drawn from numpy's RandomState(seed) when F < D (the noise
//   rows take part in the assignment; only the F real factors are averaged).
//
// ../shared/reference/replearn.md §1.5 and §7 list the originals' conventions; they are kept here.
// The assignment is core's linear_sum_assignment on −|C|.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace robustlab::representation {

/// Checks a (z, h) pair: 2-D, same number of rows (>= 2), finite; names `metric` in the error.
void check_pair(const char* metric, const torch::Tensor& z, const torch::Tensor& h);

/// sklearn.metrics.r2_score(y_true, y_pred), uniform average over columns; a constant column
/// scores 1 when predicted exactly and 0 otherwise (sklearn's force_finite). float64.
double r2_score(const torch::Tensor& y_true, const torch::Tensor& y_pred);
/// Least-squares fit of z on [h, 1], scored on the same samples with r2_score.
double linear_r2(const torch::Tensor& z, const torch::Tensor& h);

struct MccResult {
  double mcc = 0;
  std::vector<int64_t> assignment;  ///< the code matched to each factor (F entries)
  torch::Tensor correlation;        ///< [F, D] correlations before matching (float64)
};
/// cl-ica's MCC (Pearson, rescaling). Throws InvalidArgument when a column is constant or D != F.
MccResult mcc_pearson(const torch::Tensor& z, const torch::Tensor& h);
/// slow_disentanglement's MCC (Spearman, noise padding from RandomState(seed) when F < D).
/// Throws InvalidArgument when F > D or a code column is constant.
MccResult mcc_spearman(const torch::Tensor& factors, const torch::Tensor& codes, uint32_t seed = 0);

/// Spearman rank correlation of every column of x [N, A] with every column of y [N, B]: [A, B]
/// float64 (ranks with ties averaged, as scipy.stats.spearmanr).
torch::Tensor spearman(const torch::Tensor& x, const torch::Tensor& y);
/// Pearson correlation of columns: [A, B] float64 (np.corrcoef's block).
torch::Tensor pearson(const torch::Tensor& x, const torch::Tensor& y);
/// Average ranks (1-based) of each column, ties averaged. [N, A] float64.
torch::Tensor average_ranks(const torch::Tensor& x);

/// numpy.random.RandomState(seed).normal(size=count): MT19937 seeded by init_genrand and the
/// legacy polar Box–Muller with its cached second value, so noise padding equals the original's.
std::vector<double> numpy_normal(uint32_t seed, int64_t count);

}  // namespace robustlab::representation
