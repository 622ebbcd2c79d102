#include "robustlab/attacks/curves.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "robustlab/core/error.h"

namespace robustlab::attacks {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(Curves, RobustAccuracyFromNorms) {
  const torch::Tensor norms = torch::tensor({0.0, 0.5, 1.0, 2.0, kInf}, torch::kFloat64);
  EXPECT_EQ(robust_accuracy(norms, {0.0, 0.5, 1.5, 100.0}), (std::vector<double>{0.8, 0.6, 0.4, 0.2}));
  EXPECT_THROW(robust_accuracy(norms, {-1.0}), InvalidArgument);
  EXPECT_THROW(robust_accuracy(torch::zeros({0}, torch::kFloat64), {0.1}), ShapeError);
}

TEST(Curves, BestOfAttacksAndMedian) {
  const torch::Tensor a = torch::tensor({1.0, kInf, 3.0}, torch::kFloat64);
  const torch::Tensor b = torch::tensor({2.0, 5.0, kInf}, torch::kFloat64);
  EXPECT_TRUE(best_of({a, b}).equal(torch::tensor({1.0, 5.0, 3.0}, torch::kFloat64)));
  EXPECT_DOUBLE_EQ(median_norm(a), 3.0);
  EXPECT_DOUBLE_EQ(median_norm(torch::tensor({1.0, 2.0, 4.0, 8.0}, torch::kFloat64)), 3.0);
  EXPECT_TRUE(std::isinf(median_norm(torch::tensor({1.0, kInf, kInf, kInf}, torch::kFloat64))));
  EXPECT_THROW(best_of({a, torch::zeros({2}, torch::kFloat64)}), ShapeError);
}

}  // namespace
}  // namespace robustlab::attacks
