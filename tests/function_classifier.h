// A Classifier defined by a function, for tests that need a model with a known answer.
#pragma once

#include <torch/torch.h>

#include <functional>

#include "robustlab/models/classifier.h"

namespace robustlab::testing {

class FunctionClassifier : public Classifier {
 public:
  using Function = std::function<torch::Tensor(const torch::Tensor&)>;
  /// `f` maps normalised input [N,...] to logits [N, classes]; `parameters` are reported as the
  /// model's trainable parameters.
  FunctionClassifier(Function f, int64_t classes, Normalization normalization = {},
                     std::vector<torch::Tensor> parameters = {})
      : Classifier(std::move(normalization)), f_(std::move(f)), classes_(classes), parameters_(std::move(parameters)) {}
  int64_t num_classes() const override { return classes_; }
  void set_training(bool training) override { training_ = training; }
  bool is_training() const override { return training_; }
  std::vector<torch::Tensor> parameters() override { return parameters_; }
  std::vector<NormLayer> norm_layers() override { return {}; }
  std::string description() const override { return "function"; }

 protected:
  torch::Tensor forward_normalized(const torch::Tensor& x) override { return f_(x); }

 private:
  Function f_;
  int64_t classes_;
  std::vector<torch::Tensor> parameters_;
  bool training_ = false;
};

}  // namespace robustlab::testing
