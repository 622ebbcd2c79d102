// Models built in C++ with the LibTorch frontend: a small CNN with batch norm (the architecture of
// the FMN reference model, ../shared/reference/fmn/README.md §1), ResNet-18/50 for 224 px images
// (He et al. 2016, arXiv:1512.03385, torchvision's layout) and the CIFAR-style ResNet-20 for
// 28-32 px images (same paper, §4.2), also behind a 4x4 stride-4 stem for 128-px images.
#pragma once

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <vector>

#include "robustlab/models/classifier.h"

namespace robustlab {

/// What a zoo model is; stored in checkpoints so that loading needs no other information.
struct ZooConfig {
  std::string arch = "small_cnn";  ///< one of zoo_architectures()
  int64_t in_channels = 1;
  int64_t num_classes = 10;
  int64_t image_size = 28;  ///< input side; small_cnn sizes its classifier from it
  Normalization normalization;
  void validate() const;
  nlohmann::json to_json() const;
  static ZooConfig from_json(const nlohmann::json& json);
};

/// "small_cnn", "resnet18", "resnet50", "resnet20", "resnet20_patch4".
const std::vector<std::string>& zoo_architectures();

/// A network of the zoo: a LibTorch module with a forward on normalised input, split at its final
/// linear layer (the penultimate features and the head), and named layers on the way.
class ZooNet : public torch::nn::Module {
 public:
  /// The named layers, in forward order (small_cnn: block1, block2, fc1; the ResNets: stem, then
  /// each residual block as layer<stage>_<block>, then pool). Each is the output after its ReLU.
  virtual std::vector<std::string> layers() const = 0;
  /// The forward pass up to `layer` (one of layers()), or the penultimate features for "".
  virtual torch::Tensor forward_to(torch::Tensor x, const std::string& layer) = 0;
  torch::Tensor features(torch::Tensor x) { return forward_to(std::move(x), ""); }
  virtual torch::Tensor head(const torch::Tensor& features) = 0;
  torch::Tensor forward(torch::Tensor x) { return head(features(std::move(x))); }
};

class ZooClassifier : public Classifier {
 public:
  /// A freshly initialised model of `config` (seeded by the LibTorch generator).
  explicit ZooClassifier(ZooConfig config);

  int64_t num_classes() const override { return config_.num_classes; }
  void set_training(bool training) override { net_->train(training); }
  bool is_training() const override { return net_->is_training(); }
  std::vector<torch::Tensor> parameters() override { return net_->parameters(); }
  std::vector<NormLayer> norm_layers() override;
  std::string description() const override;
  std::vector<std::string> layer_names() override { return net_->layers(); }

  const ZooConfig& config() const { return config_; }
  ZooNet& net() { return *net_; }
  /// Where the weights came from (a checkpoint path), for description().
  void set_origin(std::string origin) { origin_ = std::move(origin); }

 protected:
  torch::Tensor forward_normalized(const torch::Tensor& x) override { return net_->forward(x); }
  torch::Tensor layer_output_normalized(const torch::Tensor& x, const std::string& layer) override {
    return net_->forward_to(x, layer);
  }
  std::pair<torch::Tensor, torch::Tensor> features_and_logits_normalized(const torch::Tensor& x) override {
    torch::Tensor f = net_->features(x);
    return {f, net_->head(f)};
  }
  void move_to(torch::Device device) override { net_->to(device); }

 private:
  ZooConfig config_;
  std::shared_ptr<ZooNet> net_;
  std::string origin_;
};

/// The norm layers (batch, layer, group) of any LibTorch frontend module, in module order.
std::vector<NormLayer> frontend_norm_layers(torch::nn::Module& module);

}  // namespace robustlab
