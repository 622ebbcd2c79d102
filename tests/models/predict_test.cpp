#include "robustlab/models/predict.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "robustlab/core/error.h"

namespace robustlab {
namespace {

/// Predicts class 1 for images whose mean is above 0.5, else class 0; or NaN when asked to.
class ThresholdClassifier : public Classifier {
 public:
  explicit ThresholdClassifier(bool nan = false) : Classifier({}), nan_(nan) {}
  int64_t num_classes() const override { return 2; }
  void set_training(bool t) override { training_ = t; }
  bool is_training() const override { return training_; }
  std::vector<torch::Tensor> parameters() override { return {}; }
  std::vector<NormLayer> norm_layers() override { return {}; }
  std::string description() const override { return "threshold"; }

 protected:
  torch::Tensor forward_normalized(const torch::Tensor& x) override {
    const auto m = x.mean({1, 2, 3});
    auto logits = torch::stack({0.5 - m, m - 0.5}, 1);
    return nan_ ? logits * NAN : logits;
  }

 private:
  bool nan_;
  bool training_ = true;
};

TEST(Predict, CountsCorrectPredictionsAcrossBatches) {
  // Image i has the value i/9 everywhere, so it is predicted "bright" (1) exactly for i >= 5.
  const auto x = torch::arange(10, torch::kFloat32).div(9).view({10, 1, 1, 1}).expand({10, 1, 2, 2}).contiguous();
  const auto y = torch::tensor({1, 1, 1, 0, 0, 1, 1, 1, 1, 1});
  auto data = std::make_shared<TensorDataset>(x, y, std::vector<std::string>{"dark", "bright"}, "ramp");
  ThresholdClassifier model;
  const AccuracyResult acc = evaluate_accuracy(model, data, 3);
  EXPECT_EQ(acc.total, 10);
  EXPECT_EQ(acc.correct, 7);  // 3, 4 (label 0, dark) and 5..9 (label 1, bright)
  EXPECT_DOUBLE_EQ(acc.error(), 0.3);
  EXPECT_TRUE(model.is_training()) << "the training flag is restored";
}

TEST(Predict, NonFiniteLogitsAreAnError) {
  auto data = std::make_shared<TensorDataset>(torch::zeros({2, 1, 2, 2}), torch::zeros({2}, torch::kInt64),
                                              std::vector<std::string>{"a", "b"}, "zeros");
  ThresholdClassifier model(true);
  EXPECT_THROW(evaluate_accuracy(model, data), NumericalError);
}

}  // namespace
}  // namespace robustlab
