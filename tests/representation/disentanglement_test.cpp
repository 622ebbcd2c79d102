#include "robustlab/representation/disentanglement.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/representation/classifiers.h"
#include "robustlab/representation/sprites_data.h"

namespace robustlab::representation {
namespace {

/// The case the Python references were computed on (i = 0..999): factors (i mod 3, 7i mod 6,
/// 13i mod 10), float32 codes (f1 + 0.3 sin i, 0.5 f0 + 0.2 cos 3i, sin 0.1i, 0.1 f2 + 0.05 sin 7i).
std::pair<torch::Tensor, torch::Tensor> reference_case() {
  const torch::Tensor i = torch::arange(1000, torch::kFloat64);
  const torch::Tensor f = torch::stack({torch::fmod(i, 3), torch::fmod(i * 7, 6), torch::fmod(i * 13, 10)}, 1).to(torch::kInt64);
  const torch::Tensor fd = f.to(torch::kFloat64);
  const torch::Tensor c = torch::stack({fd.select(1, 1) + 0.3 * i.sin(), fd.select(1, 0) * 0.5 + 0.2 * (3 * i).cos(),
                                        (0.1 * i).sin(), fd.select(1, 2) * 0.1 + 0.05 * (7 * i).sin()},
                                       1)
                             .to(torch::kFloat32);
  return {f, c};
}

TEST(Disentanglement, MigModularityAndMutualInformationEqualTheOriginals) {
  const auto [f, c] = reference_case();
  // numpy/sklearn on the same arrays (disentanglement_lib's formulas): 0.357819398489856 and
  // 0.788761677578405; numpy's float32 histogram edges put these values in these bins.
  EXPECT_NEAR(mig(f, c), 0.357819398489856, 1e-12);
  EXPECT_NEAR(modularity(f, c), 0.788761677578405, 1e-12);
  const torch::Tensor bins = histogram_discretize(c).select(1, 2);
  const std::vector<int64_t> want = {10, 11, 12, 13, 14, 15, 16, 17, 18, 18};
  for (int64_t k = 0; k < 10; ++k) EXPECT_EQ(bins[k].item<int64_t>(), want[static_cast<size_t>(k)]) << k;
  EXPECT_EQ(bins.min().item<int64_t>(), 1);
  EXPECT_EQ(bins.max().item<int64_t>(), 20);
  // sklearn.metrics.mutual_info_score([0,0,1,1,2,2,2], [1,1,1,0,0,3,3]).
  EXPECT_NEAR(mutual_info(torch::tensor({0, 0, 1, 1, 2, 2, 2}), torch::tensor({1, 1, 1, 0, 0, 3, 3})), 0.608158369876965, 1e-12);
}

TEST(Disentanglement, DciScoresOfAnImportanceMatrix) {
  // disentanglement_lib's disentanglement/completeness of this R (scipy.stats.entropy):
  const torch::Tensor r = torch::tensor({{0.7, 0.1, 0.0}, {0.2, 0.8, 0.1}, {0.1, 0.1, 0.0}, {0.0, 0.0, 0.9}}, torch::kFloat64);
  const auto [d, c] = dci_scores(r);
  EXPECT_NEAR(d, 0.612982150313796, 1e-12);
  EXPECT_NEAR(c, 0.575382776748815, 1e-12);
}

TEST(Disentanglement, ClassifierMetricsAreCloseToScikitLearns) {
  // scikit-learn 1.2 on the same split (600 train, 400 test): SAP 0.2017 (LinearSVC, the same
  // LIBLINEAR solver), explicitness 0.9887/0.9888 (multinomial L-BFGS logistic regression; here
  // one-vs-rest LIBLINEAR), DCI 0.8374/0.8806, informativeness 1.0/0.9975 (sklearn's
  // GradientBoostingClassifier; here XGBoost). docs/representation.md lists the differences.
  const auto [f, c] = reference_case();
  const auto ftr = f.narrow(0, 0, 600), ctr = c.narrow(0, 0, 600), fte = f.narrow(0, 600, 400), cte = c.narrow(0, 600, 400);
  EXPECT_NEAR(sap(ftr, ctr, fte, cte), 0.201666666666667, 0.02);
  const TrainTest e = explicitness(ftr, ctr, fte, cte);
  EXPECT_NEAR(e.train, 0.98870, 0.01);
  EXPECT_NEAR(e.test, 0.98879, 0.01);
  const Dci result = dci(ftr, ctr, fte, cte);
  EXPECT_NEAR(result.disentanglement, 0.8374, 0.1);
  EXPECT_NEAR(result.completeness, 0.8806, 0.1);
  EXPECT_NEAR(result.informativeness_test, 0.9975, 0.01);
  EXPECT_NEAR(result.importances.sum(0).sum().item<double>(), 3.0, 1e-6);  // each factor's column sums to 1
}

/// Factors on the grid, and codes that are: each factor monotone in its own code (perfect), a
/// rotation of those, and noise.
struct Codes {
  torch::Tensor factors, perfect, rotated, noise;
};
Codes synthetic_codes(int64_t n) {
  torch::manual_seed(0);
  Codes out;
  out.factors = torch::stack({torch::randint(0, 4, {n}), torch::randint(0, 6, {n}), torch::randint(0, 8, {n})}, 1);
  const torch::Tensor fd = out.factors.to(torch::kFloat32);
  out.perfect = torch::stack({fd.select(1, 0).exp(), fd.select(1, 1) * 2, fd.select(1, 2).pow(3),
                              0.01 * torch::randn({n})}, 1);  // one inactive code
  const torch::Tensor standard = (out.perfect - out.perfect.mean(0)) / out.perfect.std(0);
  const torch::Tensor q = std::get<0>(torch::linalg_qr(torch::randn({4, 4})));
  out.rotated = torch::mm(standard, q);
  out.noise = torch::randn({n, 4});
  return out;
}

TEST(Disentanglement, PerfectCodesScoreHighRotatedLowerNoiseNearZero) {
  const Codes c = synthetic_codes(3000);
  auto split = [](const torch::Tensor& t) { return std::pair{t.narrow(0, 0, 2000), t.narrow(0, 2000, 1000)}; };
  const auto [ftr, fte] = split(c.factors);
  struct Scores {
    double mig, modularity, dci_d, sap, mcc;
  };
  auto scores = [&](const torch::Tensor& codes) {
    const auto [tr, te] = split(codes);
    return Scores{mig(ftr, tr), modularity(ftr, tr), dci(ftr, tr, fte, te).disentanglement, sap(ftr, tr, fte, te), 0.0};
  };
  const Scores perfect = scores(c.perfect), rotated = scores(c.rotated), noise = scores(c.noise);
  EXPECT_GT(perfect.mig, 0.8);
  EXPECT_GT(perfect.modularity, 0.8);  // the unused code's modularity counts in the mean too
  EXPECT_GT(perfect.dci_d, 0.8);
  EXPECT_GT(perfect.sap, 0.3);
  EXPECT_LT(rotated.mig, perfect.mig - 0.3);
  EXPECT_LT(rotated.dci_d, perfect.dci_d - 0.2);
  EXPECT_LT(rotated.sap, perfect.sap - 0.1);
  EXPECT_LT(rotated.modularity, perfect.modularity - 0.05);
  EXPECT_LT(noise.mig, 0.02);
  EXPECT_LT(noise.sap, 0.05);
  const auto [ptr, pte] = split(c.perfect);
  EXPECT_GT(dci(ftr, ptr, fte, pte).informativeness_test, 0.99);
  EXPECT_GT(explicitness(ftr, ptr, fte, pte).test, 0.95);
  const auto [ntr, nte] = split(c.noise);
  EXPECT_LT(explicitness(ftr, ntr, fte, nte).test, 0.6);
}

/// dSprites factors with a code that reads each factor off exactly (plus an unused code).
GenerativeData dsprites_with(bool perfect) {
  GenerativeData data;
  data.factor_sizes = {3, 6, 40, 32, 32};
  data.sample_factors = [](int64_t n, std::mt19937_64& rng) { return sample_dsprites_factors(n, rng); };
  data.codes_of = [perfect](const torch::Tensor& f) {
    const torch::Tensor fd = f.to(torch::kFloat32);
    if (perfect) return torch::cat({fd, torch::zeros({f.size(0), 1})}, 1);
    return torch::randn({f.size(0), 6});
  };
  return data;
}

TEST(Disentanglement, BetaVaeAndFactorVaeScoresSeparatePerfectFromNoise) {
  std::mt19937_64 rng(5);
  const SampledScore beta_perfect = beta_vae_score(dsprites_with(true), rng, 64, 500, 300);
  const SampledScore beta_noise = beta_vae_score(dsprites_with(false), rng, 64, 500, 300);
  EXPECT_GT(beta_perfect.eval_accuracy, 0.95);
  EXPECT_LT(beta_noise.eval_accuracy, 0.4);  // 5 factors: chance is 0.2
  const SampledScore factor_perfect = factor_vae_score(dsprites_with(true), rng, 64, 500, 300, 2000);
  const SampledScore factor_noise = factor_vae_score(dsprites_with(false), rng, 64, 500, 300, 2000);
  EXPECT_GT(factor_perfect.eval_accuracy, 0.95);
  EXPECT_LT(factor_noise.eval_accuracy, 0.5);
  // No active dimension: both accuracies are 0, as disentanglement_lib reports them.
  GenerativeData dead = dsprites_with(true);
  dead.codes_of = [](const torch::Tensor& f) { return torch::zeros({f.size(0), 3}); };
  const SampledScore none = factor_vae_score(dead, rng, 64, 10, 10, 100);
  EXPECT_EQ(none.train_accuracy, 0.0);
  EXPECT_EQ(none.eval_accuracy, 0.0);
}

TEST(Disentanglement, BadInputSaysWhatIsWrong) {
  const auto [f, c] = reference_case();
  EXPECT_THROW(mig(f.narrow(0, 0, 10), c.narrow(0, 0, 9)), ShapeError);
  EXPECT_THROW(mig(f, torch::zeros({1000, 4})), InvalidArgument);  // constant codes
  torch::Tensor nan = c.clone();
  nan[3][2] = NAN;
  EXPECT_THROW(modularity(f, nan), InvalidArgument);
  EXPECT_THROW(mig(f.to(torch::kFloat64) + 0.5, c), InvalidArgument);  // factors must be classes
  EXPECT_THROW(sap(f, c.narrow(1, 0, 1), f, c.narrow(1, 0, 1)), ShapeError);
}

}  // namespace
}  // namespace robustlab::representation
