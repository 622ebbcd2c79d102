#include "robustlab/representation/mixing.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "test_support.h"

namespace robustlab::representation {
namespace {

TEST(Mixing, WeightsHaveUnitColumnsAndPassTheConditionFilter) {
  const MixingNetwork g = make_mixing_network({.n = 6, .layers = 3, .cond_iterations = 2000, .seed = 3});
  ASSERT_EQ(g.weights().size(), 3u);
  const std::vector<double> conds = g.condition_numbers();
  for (size_t l = 0; l < 3; ++l) {
    const torch::Tensor w = g.weights()[l];
    EXPECT_EQ(w.sizes(), (torch::IntArrayRef{6, 6}));
    // pcl: entries in [−1, 1] before the columns (axis 0) are scaled to unit L2 norm.
    EXPECT_LT((w.norm(2, 0) - 1).abs().max().item<double>(), 1e-5) << "layer " << l;
    EXPECT_LE(conds[l], g.threshold * (1 + 1e-6)) << "layer " << l;
  }
  // Ratio 0: the threshold is the best of the pool, so it is small but above 1.
  EXPECT_GT(g.threshold, 1.0);
  const MixingNetwork loose = make_mixing_network({.n = 6, .cond_thresh_ratio = 0.5, .cond_iterations = 2000, .seed = 3});
  EXPECT_GT(loose.threshold, g.threshold);
}

TEST(Mixing, IsInvertible) {
  const MixingNetwork g = make_mixing_network({.n = 10, .cond_iterations = 1000, .seed = 1});
  const torch::Tensor z = torch::rand({500, 10}) * 2 - 1;
  const torch::Tensor x = g.forward(z);
  EXPECT_LT((g.inverse(x) - z).abs().max().item<double>(), 1e-4);
  // LeakyReLU(0.2) between the layers, none after the last: g is not linear.
  EXPECT_GT((g.forward(-z) + x).abs().max().item<double>(), 1e-2);
}

TEST(Mixing, IsDeterministicPerSeedAndCached) {
  testing::TempDir dir;
  const MixingOptions o{.n = 5, .layers = 2, .cond_iterations = 3000, .seed = 11};
  const MixingNetwork built = make_mixing_network(o, dir.path());
  ASSERT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
  const MixingNetwork cached = make_mixing_network(o, dir.path());
  const MixingNetwork again = make_mixing_network(o);
  for (size_t l = 0; l < 2; ++l) {
    EXPECT_TRUE(built.weights()[l].equal(cached.weights()[l]));
    EXPECT_TRUE(built.weights()[l].equal(again.weights()[l]));
  }
  const MixingOptions other{.n = 5, .layers = 2, .cond_iterations = 3000, .seed = 12};
  EXPECT_FALSE(make_mixing_network(other).weights()[0].equal(built.weights()[0]));
  EXPECT_THROW(make_mixing_network({.n = 1}), InvalidArgument);
  EXPECT_THROW(make_mixing_network({.cond_thresh_ratio = 1.0}), InvalidArgument);
}

}  // namespace
}  // namespace robustlab::representation
