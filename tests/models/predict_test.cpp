#include "robustlab/models/predict.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "function_classifier.h"
#include "robustlab/core/error.h"

namespace robustlab {
namespace {

/// Predicts class 1 for images whose mean is above 0.5, else class 0; or NaN when asked to.
testing::FunctionClassifier threshold_classifier(bool nan = false) {
  return testing::FunctionClassifier(
      [nan](const torch::Tensor& x) {
        const auto m = x.mean({1, 2, 3});
        auto logits = torch::stack({0.5 - m, m - 0.5}, 1);
        return nan ? logits * NAN : logits;
      },
      2);
}

TEST(Predict, CountsCorrectPredictionsAcrossBatches) {
  // Image i has the value i/9 everywhere, so it is predicted "bright" (1) exactly for i >= 5.
  const auto x = torch::arange(10, torch::kFloat32).div(9).view({10, 1, 1, 1}).expand({10, 1, 2, 2}).contiguous();
  const auto y = torch::tensor({1, 1, 1, 0, 0, 1, 1, 1, 1, 1});
  auto data = std::make_shared<TensorDataset>(x, y, std::vector<std::string>{"dark", "bright"}, "ramp");
  auto model = threshold_classifier();
  model.set_training(true);
  const AccuracyResult acc = evaluate_accuracy(model, data, 3);
  EXPECT_EQ(acc.total, 10);
  EXPECT_EQ(acc.correct, 7);  // 3, 4 (label 0, dark) and 5..9 (label 1, bright)
  EXPECT_DOUBLE_EQ(acc.error(), 0.3);
  EXPECT_TRUE(model.is_training()) << "the training flag is restored";
}

TEST(Predict, NonFiniteLogitsAreAnError) {
  auto data = std::make_shared<TensorDataset>(torch::zeros({2, 1, 2, 2}), torch::zeros({2}, torch::kInt64),
                                              std::vector<std::string>{"a", "b"}, "zeros");
  auto model = threshold_classifier(true);
  EXPECT_THROW(evaluate_accuracy(model, data), NumericalError);
}

}  // namespace
}  // namespace robustlab
