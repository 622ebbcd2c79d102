#include "robustlab/attacks/baselines.h"

#include <gtest/gtest.h>

#include "attack_support.h"
#include "robustlab/core/error.h"

namespace robustlab::attacks {
namespace {

using robustlab::testing::FunctionClassifier;
using testing::affine_classifier;
using testing::constant_classifier;

FunctionClassifier two_class(double margin_scale, torch::Tensor& x, torch::Tensor& a, double& margin) {
  torch::manual_seed(5);
  const torch::Tensor w = torch::randn({2, 20});
  a = w[0] - w[1];
  x = torch::full({1, 1, 4, 5}, 0.5f);
  margin = margin_scale * a.abs().max().item<double>();
  const double c = margin - (a * 0.5).sum().item<double>();
  return affine_classifier(w, torch::tensor({static_cast<float>(c), 0.0f}));
}

TEST(Ddn, AffineModelCloseToTheL2Distance) {
  torch::Tensor x, a;
  double margin;
  FunctionClassifier model = two_class(0.05, x, a, margin);
  const AttackResult r = ddn(model, x, torch::tensor({0L}), {.steps = 200});
  ASSERT_TRUE(r.success[0].item<bool>());
  const double exact = margin / a.norm().item<double>();
  EXPECT_GE(r.norms[0].item<double>(), exact * (1 - 1e-4));
  EXPECT_LE(r.norms[0].item<double>(), exact * 1.05);
}

TEST(Pgd, SearchBracketsTheDistanceForEachNorm) {
  torch::Tensor x, a;
  double margin;
  FunctionClassifier model = two_class(0.05, x, a, margin);
  for (const auto& [norm, exact] : std::vector<std::pair<Norm, double>>{
           {Norm::kLinf, margin / a.abs().sum().item<double>()},
           {Norm::kL2, margin / a.norm().item<double>()},
           {Norm::kL1, margin / a.abs().max().item<double>()}}) {
    for (bool apgd : {false, true}) {
      const AttackResult r =
          pgd_minimal(model, x, torch::tensor({0L}), {.norm = norm, .steps = 20, .search_steps = 20, .apgd = apgd});
      ASSERT_TRUE(r.success[0].item<bool>()) << to_string(norm) << " apgd " << apgd;
      EXPECT_GE(r.norms[0].item<double>(), exact * (1 - 1e-4)) << to_string(norm) << " apgd " << apgd;
      // Dense L1 steps are inefficient against the sparse L1 optimum: allow 25 % there.
      EXPECT_LE(r.norms[0].item<double>(), exact * (norm == Norm::kL1 ? 1.25 : 1.1)) << to_string(norm) << " apgd " << apgd;
    }
  }
}

TEST(Pgd, ApgdCheckpointsAsInTheReference) {
  EXPECT_EQ(apgd_checkpoints(100), (std::vector<int64_t>{22, 41, 58, 70, 80, 87, 93, 99}));
  EXPECT_EQ(apgd_checkpoints(10), (std::vector<int64_t>{3, 5, 6, 8, 8, 9, 10, 10}));
}

TEST(Baselines, EdgeCases) {
  FunctionClassifier model = constant_classifier();
  const torch::Tensor x = torch::rand({2, 1, 2, 3});
  const AttackResult d = ddn(model, x, torch::tensor({0L, 0L}), {.steps = 10});
  EXPECT_FALSE(d.success.any().item<bool>());
  const AttackResult p = pgd_minimal(model, x, torch::tensor({1L, 0L}), {.norm = Norm::kL2, .steps = 3, .search_steps = 3});
  EXPECT_TRUE(p.success[0].item<bool>());  // label 1 is misclassified clean: norm 0
  EXPECT_EQ(p.norms[0].item<double>(), 0.0);
  EXPECT_FALSE(p.success[1].item<bool>());
  EXPECT_THROW(pgd_minimal(model, x, torch::tensor({0L, 0L}), {.norm = Norm::kL0}), InvalidArgument);
  EXPECT_THROW(ddn(model, x, torch::tensor({0L, 0L}), {.gamma = 1.5}), InvalidArgument);
}

}  // namespace
}  // namespace robustlab::attacks
