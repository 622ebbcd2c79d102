#include "robustlab/representation/metrics.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "robustlab/core/error.h"

namespace robustlab::representation {
namespace {

/// The deterministic case the Python references were computed on (i = 0..49):
/// z = [sin i, cos 2i, (37 i mod 11)/11], h = [z0³, 2 z1 + z2, sin 3i].
std::pair<torch::Tensor, torch::Tensor> reference_case() {
  const torch::Tensor i = torch::arange(50, torch::kFloat64);
  const torch::Tensor z = torch::stack({i.sin(), (2 * i).cos(), torch::fmod(i * 37, 11) / 11}, 1);
  const torch::Tensor h = torch::stack({z.select(1, 0).pow(3), 2 * z.select(1, 1) + z.select(1, 2), (3 * i).sin()}, 1);
  return {z, h};
}

TEST(Metrics, KnownAnswersOfTheOriginals) {
  const auto [z, h] = reference_case();
  // sklearn LinearRegression + r2_score, and cl-ica's linear_disentanglement: 0.655446272619823.
  EXPECT_NEAR(linear_r2(z, h), 0.655446272619823, 1e-12);
  // cl-ica permutation_disentanglement(pearson, munkres, rescaling) of a permuted, scaled and
  // sign-flipped code with small distortions: 0.983240165820491.
  const torch::Tensor i = torch::arange(50, torch::kFloat64);
  const torch::Tensor h2 = torch::stack({-3 * z.select(1, 2) + 0.1 * (5 * i).sin(), z.select(1, 0).pow(3), 0.5 * z.select(1, 1)}, 1);
  EXPECT_NEAR(mcc_pearson(z, h2).mcc, 0.983240165820491, 1e-12);
  EXPECT_EQ(mcc_pearson(z, h2).assignment, (std::vector<int64_t>{1, 2, 0}));
  // slow_disentanglement's _compute_mcc (Spearman, one noise row from RandomState(0)) on factors
  // with ties like dSprites' shape and scale: 0.964497308095944.
  const torch::Tensor i40 = torch::arange(40, torch::kFloat64);
  const torch::Tensor factors = torch::stack({torch::fmod(i40, 3), torch::fmod(i40 * 7, 6)}, 1);
  const torch::Tensor codes = torch::stack({i40.sin(), torch::fmod(i40 * 7, 6) * 0.3 + 0.01 * i40.cos(),
                                            torch::fmod(i40, 3) + 0.5 * (2 * i40).sin()}, 1);
  EXPECT_NEAR(mcc_spearman(factors, codes, 0).mcc, 0.964497308095944, 1e-12);
}

TEST(Metrics, NumpyNormalEqualsRandomStateNormal) {
  // numpy.random.RandomState(0).normal(size=5) and RandomState(123).normal(size=3).
  const std::vector<double> a = numpy_normal(0, 5), b = numpy_normal(123, 3);
  const std::vector<double> want_a = {1.764052345967664, 0.4001572083672233, 0.9787379841057392, 2.240893199201458,
                                      1.8675579901499675};
  const std::vector<double> want_b = {-1.0856306033005612, 0.9973454465835858, 0.28297849805199204};
  for (size_t k = 0; k < 5; ++k) EXPECT_DOUBLE_EQ(a[k], want_a[k]);
  for (size_t k = 0; k < 3; ++k) EXPECT_DOUBLE_EQ(b[k], want_b[k]);
}

TEST(Metrics, PermutationSignFlipAndScalingGiveOne) {
  torch::manual_seed(0);
  const torch::Tensor z = torch::rand({2000, 5});
  const torch::Tensor h = torch::stack({-2 * z.select(1, 3), 0.5 * z.select(1, 0), z.select(1, 4) * 7,
                                        -z.select(1, 1), 3 * z.select(1, 2)}, 1);
  EXPECT_NEAR(mcc_pearson(z, h).mcc, 1.0, 1e-9);
  EXPECT_NEAR(mcc_spearman(z, h).mcc, 1.0, 1e-9);
  EXPECT_EQ(mcc_pearson(z, h).assignment, (std::vector<int64_t>{1, 3, 4, 0, 2}));
  EXPECT_NEAR(linear_r2(z, h), 1.0, 1e-9);
  // Monotone but non-linear codes: Spearman still 1, Pearson below.
  const torch::Tensor cubes = h.pow(3);
  EXPECT_NEAR(mcc_spearman(z, cubes).mcc, 1.0, 1e-9);
  EXPECT_LT(mcc_pearson(z, cubes).mcc, 0.99);
}

TEST(Metrics, ARotationKeepsRTwoButNotMcc) {
  torch::manual_seed(1);
  const torch::Tensor z = torch::rand({3000, 4}) - 0.5;
  const torch::Tensor q = std::get<0>(torch::linalg_qr(torch::randn({4, 4})));
  const torch::Tensor h = torch::mm(z, q);
  EXPECT_NEAR(linear_r2(z, h), 1.0, 1e-6);
  EXPECT_LT(mcc_pearson(z, h).mcc, 0.9);
  EXPECT_LT(mcc_spearman(z, h).mcc, 0.9);
}

TEST(Metrics, IndependentNoiseScoresNearZero) {
  torch::manual_seed(2);
  const torch::Tensor z = torch::rand({5000, 3}), h = torch::randn({5000, 3});
  EXPECT_LT(std::abs(linear_r2(z, h)), 0.01);
  EXPECT_LT(mcc_pearson(z, h).mcc, 0.05);
  EXPECT_LT(mcc_spearman(z, h).mcc, 0.05);
}

TEST(Metrics, SpearmanAveragesTiedRanks) {
  // scipy.stats.spearmanr([1,1,2,3,3,3], [5,6,6,7,1,2]) = -0.2348341091569311.
  const torch::Tensor x = torch::tensor({1.0, 1.0, 2.0, 3.0, 3.0, 3.0}).view({6, 1});
  const torch::Tensor y = torch::tensor({5.0, 6.0, 6.0, 7.0, 1.0, 2.0}).view({6, 1});
  EXPECT_NEAR(spearman(x, y).item<double>(), -0.2348341091569311, 1e-12);
  EXPECT_TRUE(average_ranks(x).view({6}).equal(torch::tensor({1.5, 1.5, 3.0, 5.0, 5.0, 5.0}, torch::kFloat64)))
      << average_ranks(x);
}

TEST(Metrics, BadInputSaysWhatIsWrong) {
  const torch::Tensor z = torch::rand({10, 2});
  EXPECT_THROW(linear_r2(z, torch::rand({9, 2})), ShapeError);
  EXPECT_THROW(linear_r2(z, torch::rand({10})), ShapeError);
  torch::Tensor nan = torch::rand({10, 2});
  nan[3][1] = NAN;
  EXPECT_THROW(linear_r2(z, nan), InvalidArgument);
  EXPECT_THROW(mcc_pearson(z, torch::ones({10, 2})), InvalidArgument);  // constant code
  EXPECT_THROW(mcc_pearson(z, torch::rand({10, 3})), ShapeError);       // rescaling needs equal widths
  EXPECT_THROW(mcc_spearman(torch::rand({10, 3}), torch::rand({10, 2})), ShapeError);
  try {
    mcc_spearman(z, torch::cat({torch::rand({10, 1}), torch::full({10, 1}, 2.0)}, 1));
    FAIL() << "a constant code was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("code column 1 is constant"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace robustlab::representation
