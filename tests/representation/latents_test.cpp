#include "robustlab/representation/latents.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "robustlab/core/error.h"

namespace robustlab::representation {
namespace {

torch::Generator generator(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

/// E[w] for vMF on S^{n-1}: the mean resultant length A_n(κ) = I_{n/2}(κ) / I_{n/2-1}(κ).
double mean_resultant_length(double kappa, int64_t n) {
  return std::cyl_bessel_i(static_cast<double>(n) / 2.0, kappa) / std::cyl_bessel_i(static_cast<double>(n) / 2.0 - 1, kappa);
}

TEST(Latents, VmfMeanResultantLengthMatchesItsClosedForm) {
  for (int64_t n : {3, 10}) {
    for (double kappa : {1.0, 10.0, 50.0}) {
      auto gen = generator(1);
      torch::Tensor mu = torch::randn({20000, n}, gen, torch::kFloat32);
      mu = mu / mu.norm(2, 1, true);
      const torch::Tensor x = sample_vmf(mu, kappa, gen);
      EXPECT_LT((x.norm(2, 1) - 1).abs().max().item<double>(), 1e-5) << "on the sphere";
      const double mean_w = (x * mu).sum(1).mean().item<double>();
      // Standard error of the mean of w in [−1, 1] over 20,000 draws is below 0.007.
      EXPECT_NEAR(mean_w, mean_resultant_length(kappa, n), 0.02) << "n " << n << " kappa " << kappa;
    }
  }
}

TEST(Latents, BoxConditionalsAreTruncatedInsideTheBox) {
  for (DistributionKind kind : {DistributionKind::kNormal, DistributionKind::kLaplace, DistributionKind::kGenNormal}) {
    LatentSpace space({.space = SpaceKind::kBox, .n = 4, .conditional = {kind, 0.3, 3.0}});
    auto gen = generator(2);
    const torch::Tensor z = space.sample_marginal(5000, gen);
    EXPECT_GE(z.min().item<double>(), 0.0);
    EXPECT_LE(z.max().item<double>(), 1.0);
    const torch::Tensor zt = space.sample_conditional(z, gen);
    EXPECT_GE(zt.min().item<double>(), 0.0) << to_string(kind);
    EXPECT_LE(zt.max().item<double>(), 1.0) << to_string(kind);
    // Truncated, not clipped: no mass piles up on the faces.
    EXPECT_LT((zt == 0).logical_or(zt == 1).sum().item<int64_t>(), 5) << to_string(kind);
    EXPECT_GT((zt - z).abs().mean().item<double>(), 0.05) << to_string(kind);
  }
}

TEST(Latents, GeneralisedNormalAndLaplaceHaveTheirVariances) {
  auto gen = generator(3);
  const torch::Tensor zero = torch::zeros({200000});
  for (double p : {1.0, 2.0, 3.0, 0.7}) {
    const double lambda = 0.5;
    const torch::Tensor x = sample_generalized_normal(zero, lambda, p, gen);
    const double var = lambda * lambda * std::tgamma(3.0 / p) / std::tgamma(1.0 / p);
    EXPECT_NEAR(x.var().item<double>() / var, 1.0, 0.03) << "p " << p;
    EXPECT_NEAR(x.mean().item<double>(), 0.0, 0.01) << "p " << p;
  }
  const torch::Tensor l = sample_laplace(zero + 2.0, 0.25, gen);
  EXPECT_NEAR(l.var().item<double>(), 2 * 0.25 * 0.25, 0.005);
  EXPECT_NEAR(l.mean().item<double>(), 2.0, 0.005);
}

TEST(Latents, MarginalsLiveInTheirSpaces) {
  auto gen = generator(4);
  LatentSpace sphere({.space = SpaceKind::kSphere, .n = 5, .radius = 2.0, .conditional = {DistributionKind::kVmf, 5.0}});
  const torch::Tensor s = sphere.sample_marginal(1000, gen);
  EXPECT_LT((s.norm(2, 1) - 2).abs().max().item<double>(), 1e-5);
  EXPECT_LT((sphere.sample_conditional(s, gen).norm(2, 1) - 2).abs().max().item<double>(), 1e-5);
  LatentSpace normal_on_sphere({.space = SpaceKind::kSphere, .n = 5, .conditional = {DistributionKind::kNormal, 0.1}});
  EXPECT_LT((normal_on_sphere.sample_conditional(normal_on_sphere.sample_marginal(100, gen), gen).norm(2, 1) - 1)
                .abs().max().item<double>(), 1e-5);
  LatentSpace real({.space = SpaceKind::kUnbounded, .n = 3, .marginal = {DistributionKind::kNormal, 1.0}});
  const torch::Tensor r = real.sample_marginal(50000, gen);
  EXPECT_NEAR(r.std().item<double>(), 1.0, 0.02);
}

TEST(Latents, AFixedSeedGivesTheSameSamples) {
  LatentSpace space({.space = SpaceKind::kSphere, .n = 6, .conditional = {DistributionKind::kVmf, 1.0}});
  auto a = generator(9), b = generator(9);
  const torch::Tensor za = space.sample_marginal(64, a), zb = space.sample_marginal(64, b);
  EXPECT_TRUE(za.equal(zb));
  EXPECT_TRUE(space.sample_conditional(za, a).equal(space.sample_conditional(zb, b)));
  auto c = generator(10);
  EXPECT_FALSE(space.sample_marginal(64, c).equal(za));
}

TEST(Latents, UnsupportedCombinationsAreRejected) {
  using D = DistributionKind;
  EXPECT_THROW(LatentSpace({.space = SpaceKind::kUnbounded}), InvalidArgument);  // uniform on R^n
  EXPECT_THROW(LatentSpace({.space = SpaceKind::kBox, .conditional = {D::kVmf, 1.0}}), InvalidArgument);
  EXPECT_THROW(LatentSpace({.space = SpaceKind::kSphere, .conditional = {D::kVmf, 0.0}}), InvalidArgument);
  EXPECT_THROW(LatentSpace({.space = SpaceKind::kSphere, .conditional = {D::kVmf, -1.0}}), InvalidArgument);
  EXPECT_THROW(LatentSpace({.n = 1}), InvalidArgument);
  EXPECT_THROW(LatentSpace({.box_min = 1, .box_max = 0}), InvalidArgument);
  EXPECT_THROW(LatentSpace({.conditional = {D::kUniform, 1.0}}), InvalidArgument);
  EXPECT_THROW(LatentSpace({.conditional = {D::kGenNormal, 0.1, 0.0}}), InvalidArgument);
  EXPECT_THROW(parse_space("torus"), InvalidArgument);
  EXPECT_THROW(parse_distribution("cauchy"), InvalidArgument);
  LatentSpace ok({});
  auto gen = generator(0);
  EXPECT_THROW(ok.sample_conditional(torch::zeros({4, 3}), gen), ShapeError);
}

TEST(Latents, ASamplerThatCannotAcceptFailsClearly) {
  // A conditional far wider than the box accepts a coordinate with probability ~1e-4; with one
  // round allowed the rejection loop must give up with an error, not spin or return NaN.
  LatentSpace space({.space = SpaceKind::kBox, .n = 10, .conditional = {DistributionKind::kNormal, 1e4},
                     .max_rejection_rounds = 1});
  auto gen = generator(0);
  EXPECT_THROW(space.sample_conditional(space.sample_marginal(256, gen), gen), NumericalError);
}

}  // namespace
}  // namespace robustlab::representation
