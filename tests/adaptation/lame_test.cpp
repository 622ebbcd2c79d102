// LAME: the affinity, the bound optimisation's fixed point, and an output-only prediction.
#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "robustlab/adaptation/lame.h"
#include "robustlab/core/error.h"
#include "robustlab/models/zoo.h"

namespace robustlab::adaptation {
namespace {

TEST(Lame, RbfAffinityUsesTheMeanKthNeighbourDistance) {
  // Three points on a line at 0, 1, 3 (distances 1, 2, 3); k = 2: each point's 2nd nearest
  // (itself first) is at 1, 1, 2 -> sigma = 4/3.
  const torch::Tensor f = torch::tensor({{0.0}, {1.0}, {3.0}}, torch::kFloat64);
  const torch::Tensor k = rbf_affinity(f, 2);
  const double sigma = 4.0 / 3.0;
  EXPECT_NEAR(k[0][1].item<double>(), std::exp(-1.0 / (2 * sigma * sigma)), 1e-12);
  EXPECT_NEAR(k[0][2].item<double>(), std::exp(-9.0 / (2 * sigma * sigma)), 1e-12);
  EXPECT_NEAR(k[1][1].item<double>(), 1.0, 1e-12);
  EXPECT_TRUE(torch::allclose(k, k.t()));
}

TEST(Lame, TheAssignmentIsTheFixedPointAndNeighboursAgree) {
  // Sample 0 is confidently class 0, sample 1 undecided; they are strongly linked, sample 2 is
  // alone and confidently class 1.
  const torch::Tensor logits = torch::tensor({{4.0, 0.0}, {0.1, 0.0}, {0.0, 4.0}}, torch::kFloat64);
  const torch::Tensor unary = -torch::log(torch::softmax(logits, 1) + 1e-10);
  const torch::Tensor kernel = torch::tensor({{1.0, 0.9, 0.0}, {0.9, 1.0, 0.0}, {0.0, 0.0, 1.0}}, torch::kFloat64);
  const torch::Tensor y = laplacian_optimization(unary, kernel, 1.0, 100);
  // Converged: Y = softmax(−unary + K Y).
  EXPECT_TRUE(torch::allclose(y, torch::softmax(-unary + kernel.matmul(y), 1), 1e-6, 1e-6));
  EXPECT_GT(y[1][0].item<double>(), 0.75);  // pulled towards its confident neighbour's class
  EXPECT_GT(y[2][1].item<double>(), 0.9);
  // Without links LAME is the model's softmax.
  EXPECT_TRUE(torch::allclose(laplacian_optimization(unary, torch::zeros({3, 3}, torch::kFloat64), 1.0, 100),
                              torch::softmax(logits, 1), 1e-9, 1e-9));
}

TEST(Lame, PredictsWithoutChangingTheModel) {
  torch::manual_seed(0);
  ZooClassifier model(ZooConfig{.arch = "small_cnn"});
  model.set_training(true);
  std::vector<torch::Tensor> before;
  for (const auto& p : model.parameters()) before.push_back(p.detach().clone());
  const torch::Tensor x = torch::rand({8, 1, 28, 28});
  const torch::Tensor y = predict_lame(model, x);
  EXPECT_EQ(y.sizes(), (torch::IntArrayRef{8, 10}));
  EXPECT_TRUE(torch::allclose(y.sum(1), torch::ones({8}), 1e-5, 1e-5));
  EXPECT_FALSE(model.is_training());  // source statistics
  const auto after = model.parameters();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(before[i], after[i]));
  // The split model gives the same logits as its forward pass.
  const auto [features, logits] = model.features_and_logits(x);
  EXPECT_EQ(features.size(1), 128);
  EXPECT_TRUE(torch::allclose(logits, model.forward(x)));
  EXPECT_THROW(predict_lame(model, x, {.knn = 0}), InvalidArgument);
}

}  // namespace
}  // namespace robustlab::adaptation
