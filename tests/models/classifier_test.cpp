#include "robustlab/models/classifier.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "robustlab/core/error.h"

namespace robustlab {
namespace {

/// Returns its (normalised) input's per-channel means as logits.
class MeanClassifier : public Classifier {
 public:
  using Classifier::Classifier;
  int64_t num_classes() const override { return 3; }
  void set_training(bool) override {}
  bool is_training() const override { return false; }
  std::vector<torch::Tensor> parameters() override { return {}; }
  std::vector<NormLayer> norm_layers() override { return {}; }
  std::string description() const override { return "mean"; }

 protected:
  torch::Tensor forward_normalized(const torch::Tensor& x) override { return x.mean({2, 3}); }
};

TEST(Classifier, NormalisesInsideForward) {
  MeanClassifier model(Normalization{{0.5, 0.25, 0.0}, {0.5, 0.25, 2.0}});
  const auto out = model.forward(torch::full({1, 3, 2, 2}, 1.0));
  EXPECT_FLOAT_EQ(out[0][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(out[0][1].item<float>(), 3.0f);
  EXPECT_FLOAT_EQ(out[0][2].item<float>(), 0.5f);
}

TEST(Classifier, RejectsBadNormalisationAndInput) {
  EXPECT_THROW(MeanClassifier(Normalization{{0.5}, {}}), InvalidArgument);
  EXPECT_THROW(MeanClassifier(Normalization{{0.5}, {0.0}}), InvalidArgument);
  MeanClassifier model(Normalization{{0.5, 0.5}, {1.0, 1.0}});
  EXPECT_THROW(model.forward(torch::zeros({1, 3, 2, 2})), ShapeError);
  EXPECT_THROW(model.forward(torch::zeros({3, 2, 2})), ShapeError);
}

}  // namespace
}  // namespace robustlab
