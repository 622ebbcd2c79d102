// The Classifier interface every attack, corruption benchmark and adaptation method works
// against (../shared/DESIGN.md, "How data flows"): images in [0,1], NCHW float32 -> logits.
// Input normalisation (mean/std) lives inside the classifier, as in Foolbox, so callers always
// work in pixel space with bounds (0,1).
#pragma once

#include <torch/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace robustlab {

/// Per-channel input normalisation (x - mean) / std, applied inside the classifier.
/// Empty vectors mean no normalisation; one value applies to every channel.
struct Normalization {
  std::vector<double> mean;
  std::vector<double> std;
  void validate() const;
  bool empty() const { return mean.empty(); }
};

/// A normalisation layer of a model, with live handles to its tensors (writing to them changes
/// the model). Undefined tensors are absent (no affine parameters, no running statistics).
struct NormLayer {
  enum class Kind { kBatchNorm, kLayerNorm, kGroupNorm };
  std::string name;
  Kind kind = Kind::kBatchNorm;
  torch::Tensor weight;
  torch::Tensor bias;
  torch::Tensor running_mean;  ///< batch norm only
  torch::Tensor running_var;   ///< batch norm only (unbiased, as PyTorch keeps it)
  /// Batch norm only: puts this layer alone in training mode (normalise with the batch's
  /// statistics) or evaluation mode (with running_mean/var).
  std::function<void(bool training)> set_training;
  /// Batch norm only: the momentum m of its running statistics (a training-mode forward sets
  /// running = (1 - m)·running + m·batch statistic, the variance unbiased).
  std::function<double()> momentum;
};

std::string to_string(NormLayer::Kind kind);

class Classifier {
 public:
  explicit Classifier(Normalization normalization);
  virtual ~Classifier() = default;

  /// x: [N,C,H,W] float32 in [0,1] -> logits [N,K]. Normalises, then runs the network.
  torch::Tensor forward(const torch::Tensor& x);
  /// The penultimate features [N, D] (the input of the final linear layer) and the logits, for
  /// methods that work on features (LAME). Throws InvalidArgument for a model that cannot be split.
  std::pair<torch::Tensor, torch::Tensor> features_and_logits(const torch::Tensor& x);

  /// The layers whose outputs layer_output returns, in the order the forward pass reaches them:
  /// a zoo model's stages and blocks, a TorchScript model's submodules (dotted, as named_modules
  /// names them). By default none.
  virtual std::vector<std::string> layer_names() { return {}; }
  /// x: [N,C,H,W] in [0,1] -> the output of `layer` ([N,C',H',W'] for a convolutional layer),
  /// differentiable with respect to x. Throws InvalidArgument for a layer not in layer_names().
  torch::Tensor layer_output(const torch::Tensor& x, const std::string& layer);

  /// Number of classes, or -1 while unknown (a TorchScript model before its first forward).
  virtual int64_t num_classes() const = 0;
  virtual void set_training(bool training) = 0;
  virtual bool is_training() const = 0;
  /// All trainable parameters (live handles).
  virtual std::vector<torch::Tensor> parameters() = 0;
  /// The model's batch-, layer- and group-norm layers, in module order.
  virtual std::vector<NormLayer> norm_layers() = 0;
  /// "small_cnn (checkpoint model.ckpt)", "TorchScript resnet.pt", for logs and the store.
  virtual std::string description() const = 0;

  const Normalization& normalization() const { return normalization_; }

  /// The device of the weights (CPU until `to` moves them). forward, layer_output and
  /// features_and_logits take input from anywhere and move it here; results stay here.
  torch::Device device() const { return device_; }
  /// Moves the weights, buffers and normalisation to `device` in place: the handles that
  /// parameters() and norm_layers() returned stay live.
  void to(torch::Device device);

 protected:
  /// The network on normalised input.
  virtual torch::Tensor forward_normalized(const torch::Tensor& x) = 0;
  /// layer_output on normalised input, for a layer already checked against layer_names().
  virtual torch::Tensor layer_output_normalized(const torch::Tensor& x, const std::string& layer);
  /// Features and logits on normalised input; by default the model cannot be split.
  virtual std::pair<torch::Tensor, torch::Tensor> features_and_logits_normalized(const torch::Tensor& x);
  /// Moves the network's weights and buffers (in place); by default there are none.
  virtual void move_to(torch::Device) {}

 private:
  torch::Tensor normalized(const torch::Tensor& x) const;
  Normalization normalization_;
  torch::Tensor mean_;  // [1,C,1,1] or undefined
  torch::Tensor std_;
  torch::Device device_ = torch::kCPU;
};

using ClassifierPtr = std::shared_ptr<Classifier>;

}  // namespace robustlab
