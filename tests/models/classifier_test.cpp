#include "robustlab/models/classifier.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "function_classifier.h"
#include "robustlab/core/error.h"

namespace robustlab {
namespace {

/// Returns its (normalised) input's per-channel means as logits.
testing::FunctionClassifier mean_classifier(Normalization normalization) {
  return testing::FunctionClassifier([](const torch::Tensor& x) { return x.mean({2, 3}); }, 3, std::move(normalization));
}

TEST(Classifier, NormalisesInsideForward) {
  auto model = mean_classifier(Normalization{{0.5, 0.25, 0.0}, {0.5, 0.25, 2.0}});
  const auto out = model.forward(torch::full({1, 3, 2, 2}, 1.0));
  EXPECT_FLOAT_EQ(out[0][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(out[0][1].item<float>(), 3.0f);
  EXPECT_FLOAT_EQ(out[0][2].item<float>(), 0.5f);
}

TEST(Classifier, RejectsBadNormalisationAndInput) {
  EXPECT_THROW(mean_classifier(Normalization{{0.5}, {}}), InvalidArgument);
  EXPECT_THROW(mean_classifier(Normalization{{0.5}, {0.0}}), InvalidArgument);
  auto model = mean_classifier(Normalization{{0.5, 0.5}, {1.0, 1.0}});
  EXPECT_THROW(model.forward(torch::zeros({1, 3, 2, 2})), ShapeError);
  EXPECT_THROW(model.forward(torch::zeros({3, 2, 2})), ShapeError);
}

}  // namespace
}  // namespace robustlab
