// Test models for the attacks: an affine classifier (whose minimal distances have closed forms),
// a constant one (zero gradients, never fooled) and one that returns NaN.
#pragma once

#include <torch/torch.h>

#include "robustlab/models/classifier.h"

namespace robustlab::attacks::testing {

/// logits = W flatten(x) + b.
class AffineClassifier : public Classifier {
 public:
  AffineClassifier(torch::Tensor w, torch::Tensor b) : Classifier({}), w_(std::move(w)), b_(std::move(b)) {}
  int64_t num_classes() const override { return w_.size(0); }
  void set_training(bool) override {}
  bool is_training() const override { return false; }
  std::vector<torch::Tensor> parameters() override { return {w_, b_}; }
  std::vector<NormLayer> norm_layers() override { return {}; }
  std::string description() const override { return "affine"; }

 protected:
  torch::Tensor forward_normalized(const torch::Tensor& x) override { return x.flatten(1).matmul(w_.t()) + b_; }

 private:
  torch::Tensor w_, b_;
};

/// Always the same logits (class 0 wins), or NaN: gradients are zero, nothing is adversarial.
class ConstantClassifier : public Classifier {
 public:
  explicit ConstantClassifier(bool nan = false) : Classifier({}), nan_(nan) {}
  int64_t num_classes() const override { return 3; }
  void set_training(bool) override {}
  bool is_training() const override { return false; }
  std::vector<torch::Tensor> parameters() override { return {}; }
  std::vector<NormLayer> norm_layers() override { return {}; }
  std::string description() const override { return "constant"; }

 protected:
  torch::Tensor forward_normalized(const torch::Tensor& x) override {
    const torch::Tensor base = torch::tensor({3.0f, 1.0f, 0.0f}).expand({x.size(0), 3}) + 0.0 * x.flatten(1).sum(1, true);
    return nan_ ? base * NAN : base;
  }

 private:
  bool nan_;
};

}  // namespace robustlab::attacks::testing
