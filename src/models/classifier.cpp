// The Classifier base: input normalisation in one place for every kind of model.
#include "robustlab/models/classifier.h"

#include <torch/torch.h>

#include <algorithm>

#include "robustlab/core/error.h"
#include "robustlab/models/device.h"

namespace robustlab {

void Normalization::validate() const {
  if (mean.size() != std.size()) {
    throw InvalidArgument("Normalization: mean has " + std::to_string(mean.size()) +
                          " values but std has " + std::to_string(std.size()));
  }
  for (double s : std) {
    if (!(s > 0)) throw InvalidArgument("Normalization: std values must be positive, got " + std::to_string(s));
  }
}

std::string to_string(NormLayer::Kind kind) {
  switch (kind) {
    case NormLayer::Kind::kBatchNorm: return "batch_norm";
    case NormLayer::Kind::kLayerNorm: return "layer_norm";
    default: return "group_norm";
  }
}

Classifier::Classifier(Normalization normalization) : normalization_(std::move(normalization)) {
  normalization_.validate();
  if (!normalization_.empty()) {
    const auto c = static_cast<int64_t>(normalization_.mean.size());
    // cpu: the normalisation is built here and moved with the weights by to()
    mean_ = torch::tensor(normalization_.mean, torch::kFloat32).view({1, c, 1, 1});
    std_ = torch::tensor(normalization_.std, torch::kFloat32).view({1, c, 1, 1});  // cpu: as mean_
  }
}

torch::Tensor Classifier::normalized(const torch::Tensor& x) const {
  if (x.dim() != 4) {
    throw ShapeError("Classifier::forward: input must be [N,C,H,W], got " + c10::str(x.sizes()));
  }
  if (mean_.defined() && mean_.size(1) != 1 && mean_.size(1) != x.size(1)) {
    throw ShapeError("Classifier::forward: normalisation has " + std::to_string(mean_.size(1)) +
                     " channels, input has " + std::to_string(x.size(1)));
  }
  const torch::Tensor here = to_device(x, device_);
  return mean_.defined() ? (here - mean_) / std_ : here;
}

void Classifier::to(torch::Device device) {
  move_to(device);
  if (mean_.defined()) {
    mean_ = mean_.to(device);
    std_ = std_.to(device);
  }
  device_ = device;
}

torch::Tensor Classifier::forward(const torch::Tensor& x) { return forward_normalized(normalized(x)); }

torch::Tensor Classifier::layer_output(const torch::Tensor& x, const std::string& layer) {
  const std::vector<std::string> names = layer_names();
  if (std::find(names.begin(), names.end(), layer) == names.end()) {
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    if (names.empty()) throw InvalidArgument(description() + " exposes no layers");
    throw InvalidArgument("unknown layer '" + layer + "' of " + description() + "; its layers are: " + known);
  }
  return layer_output_normalized(normalized(x), layer);
}

std::pair<torch::Tensor, torch::Tensor> Classifier::features_and_logits(const torch::Tensor& x) {
  return features_and_logits_normalized(normalized(x));
}

torch::Tensor Classifier::layer_output_normalized(const torch::Tensor&, const std::string&) {
  throw InvalidArgument(description() + " exposes no layers");
}

std::pair<torch::Tensor, torch::Tensor> Classifier::features_and_logits_normalized(const torch::Tensor&) {
  throw InvalidArgument(description() + " cannot be split into features and a final linear layer");
}

}  // namespace robustlab
