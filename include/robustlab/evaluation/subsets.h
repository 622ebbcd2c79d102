// ImageNet-R (Hendrycks et al., ICCV 2021, arXiv:2006.16241), ImageNet-A (Hendrycks et al.,
// CVPR 2021, arXiv:1907.07174) and ImageNet-D (Rusak et al., arXiv:2104.12928) with 1000-class
// ImageNet models: a Classifier view whose logits are in the dataset's label space.
// Index lists and the ImageNet-D mapping: ../shared/reference/imagenet-subsets/ (shipped in data/).
#pragma once

#include <string>

#include "robustlab/models/classifier.h"

namespace robustlab::evaluation {

enum class Subset { kImageNetR, kImageNetA, kImageNetD };
/// "imagenet-r", "imagenet-a", "imagenet-d"; throws InvalidArgument otherwise.
Subset parse_subset(const std::string& name);

/// A 1000-class ImageNet classifier seen through a subset's label space:
/// - ImageNet-R/A: the 200 logits of the subset's classes (logits1000[:, indices]), the published
///   masked convention;
/// - ImageNet-D: per ImageNet-D class the largest logit of the ImageNet classes mapped to it, plus
///   a last column for the unmapped classes, so that the argmax is the published "argmax over all
///   1000, then map; unmapped counts as wrong" (the last column is never a label).
/// Everything else (parameters, normalisation layers, training mode) is the base model's, so
/// attacks and test-time adaptation work in the subset's label space too.
class SubsetClassifier : public Classifier {
 public:
  /// Throws ShapeError when the base model does not output 1000 logits (checked on first use
  /// for TorchScript models, whose class count is known only then).
  SubsetClassifier(ClassifierPtr base, Subset subset);
  int64_t num_classes() const override;
  void set_training(bool training) override { base_->set_training(training); }
  bool is_training() const override { return base_->is_training(); }
  std::vector<torch::Tensor> parameters() override { return base_->parameters(); }
  std::vector<NormLayer> norm_layers() override { return base_->norm_layers(); }
  std::string description() const override;

 protected:
  torch::Tensor forward_normalized(const torch::Tensor& x) override;
  void move_to(torch::Device device) override;

 private:
  ClassifierPtr base_;
  Subset subset_;
  torch::Tensor indices_;  // R/A: [200]; D: the ImageNet-D class of each ImageNet class (-1: none)
};

}  // namespace robustlab::evaluation
