#include "robustlab/psychophysics/feature_vis.h"

#include <gtest/gtest.h>

#include <set>
#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/data/idx.h"
#include "robustlab/models/load.h"
#include "robustlab/psychophysics/exemplars.h"
#include "test_support.h"

namespace robustlab::psychophysics {
namespace {

TEST(FeatureVis, DiversityIsLucidsPairwiseGramSimilarity) {
  // Two identical images: their normalised Gram matrices coincide, so each ordered pair adds 1.
  const torch::Tensor one = torch::rand({1, 3, 4, 4});
  EXPECT_NEAR(diversity(torch::cat({one, one})).item<double>(), 2.0 / 2.0, 1e-6);
  // Images whose activations live on different channels have orthogonal Gram matrices.
  torch::Tensor a = torch::zeros({2, 2, 3, 3});
  a[0][0] = 1;
  a[1][1] = 1;
  EXPECT_NEAR(diversity(a).item<double>(), 0.0, 1e-7);
  // Three images, by hand: (sum over ordered pairs of cosines) / 3.
  const torch::Tensor x = torch::rand({3, 2, 5, 5});
  const torch::Tensor g = torch::bmm(x.flatten(2), x.flatten(2).transpose(1, 2)).flatten(1);
  const torch::Tensor gn = g / g.norm(2, 1, true);
  double expected = 0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      if (i != j) expected += (gn[i] * gn[j]).sum().item<double>();
  EXPECT_NEAR(diversity(x).item<double>(), expected / 3, 1e-5);
}

TEST(FeatureVis, ChannelMeanChecksTheChannel) {
  const torch::Tensor out = torch::arange(2 * 3 * 4, torch::kFloat32).view({2, 3, 2, 2});
  EXPECT_TRUE(torch::allclose(channel_mean(out, 1, "x"), torch::tensor({5.5f, 17.5f})));
  EXPECT_THROW(channel_mean(out, 3, "x"), InvalidArgument);
  EXPECT_THROW(channel_mean(out, -1, "x"), InvalidArgument);
}

TEST(FeatureVis, OptionsScaleWithTheImageAndValidate) {
  const FeatureVisOptions reference;
  EXPECT_EQ(reference.steps, 2560);
  EXPECT_EQ(reference.batch, 10);
  EXPECT_DOUBLE_EQ(reference.lr, 0.05);
  const FeatureVisOptions small = FeatureVisOptions::scaled_to(28);
  EXPECT_EQ(small.padding, 2);
  EXPECT_EQ(small.jitter, 2);
  EXPECT_EQ(small.jitter_after, 1);
  FeatureVisOptions bad = small;
  EXPECT_THROW(bad.validate(), InvalidArgument);  // no layer
  bad.layer = "conv1";
  bad.channels = 2;
  EXPECT_THROW(bad.validate(), InvalidArgument);
}

// On the FMN reference CNN (trained on Fashion-MNIST, a TorchScript file): optimised images drive a
// channel far past the most and least activating of 2,000 test images.
TEST(FeatureVis, ExceedsTheNaturalRangeOfAChannel) {
  const ClassifierPtr model = load_classifier((testing::shared_dir() / "reference/fmn/fmnist_cnn.pt").string());
  const DatasetPtr data = make_subset(load_fashion_mnist("test"), SubsetOptions{.limit = 2000});
  const int64_t channel = 5;
  const torch::Tensor natural = channel_activations(*model, data, "conv2", {channel}).squeeze(1);
  FeatureVisOptions o = FeatureVisOptions::scaled_to(28);
  o.layer = "conv2";
  o.channel = channel;
  o.channels = 1;
  o.batch = 4;
  o.steps = 150;
  o.seed = 3;
  o.diversity = 0;  // the channel alone: on this small network the reference's weight of 1e2 outweighs it
  const FeatureVisResult max = visualize_channel(*model, o);
  o.minimize = true;
  const FeatureVisResult min = visualize_channel(*model, o);
  EXPECT_EQ(max.images.sizes(), (std::vector<int64_t>{4, 1, 28, 28}));
  EXPECT_GE(max.images.min().item<double>(), 0.0);
  EXPECT_LE(max.images.max().item<double>(), 1.0);
  const double top = natural.max().item<double>(), bottom = natural.min().item<double>();
  EXPECT_GT(max.activations.min().item<double>(), top) << "natural max " << top;
  EXPECT_LT(min.activations.max().item<double>(), bottom) << "natural min " << bottom;
  // The objective rose over the run, and the run is a function of the seed.
  EXPECT_GT(max.objective.back(), max.objective.front());
  o.minimize = false;
  o.steps = 5;
  EXPECT_TRUE(torch::equal(visualize_channel(*model, o).images, visualize_channel(*model, o).images));
  o.channel = 64;
  EXPECT_THROW(visualize_channel(*model, o), InvalidArgument);
  o.channel = 0;
  o.layer = "conv9";
  EXPECT_THROW(visualize_channel(*model, o), InvalidArgument);
}

TEST(Exemplars, BatchesTakeOneImageFromEveryRankBin) {
  const int64_t n = 100, images = 3, batches = 4;
  // Activation of image i is (i * 37) mod 100: a permutation, so ranks are known.
  std::vector<float> values;
  for (int64_t i = 0; i < n; ++i) values.push_back(static_cast<float>((i * 37) % n));
  const ExemplarBatches ex = exemplar_batches(torch::tensor(values), images, batches, 7);
  ASSERT_EQ(ex.max.size(), 4u);
  std::set<int64_t> seen;
  for (int64_t b = 0; b < batches; ++b) {
    for (int64_t i = 0; i < images; ++i) {
      const float top = values[static_cast<size_t>(ex.max[b][i])];
      const float bottom = values[static_cast<size_t>(ex.min[b][i])];
      EXPECT_GE(top, n - images * batches + i * batches);       // the i-th bin of the top 12
      EXPECT_LT(top, n - images * batches + (i + 1) * batches);
      EXPECT_GE(bottom, i * batches);                           // the i-th bin of the bottom 12
      EXPECT_LT(bottom, (i + 1) * batches);
      seen.insert(ex.max[b][i]);
      seen.insert(ex.min[b][i]);
    }
  }
  EXPECT_EQ(seen.size(), 24u);  // no image twice
  const ExemplarBatches other = exemplar_batches(torch::tensor(values), images, batches, 8);
  EXPECT_NE(other.max, ex.max);  // the seed shuffles within bins
  EXPECT_THROW(exemplar_batches(torch::tensor(values), 10, 6, 0), InvalidArgument);  // needs 120 images
}

}  // namespace
}  // namespace robustlab::psychophysics
