// Batch-norm statistics adaptation with an N-sample prior (Schneider et al., NeurIPS 2020,
// arXiv:2006.16971; the mixture as in the authors' robusta/batchnorm/bn.py BayesianBatchNorm,
// computed directly instead of through momentum tricks, see ../shared/reference/tta.md §1.2).
#include "robustlab/adaptation/bn.h"

#include <cmath>

#include <torch/torch.h>

#include "robustlab/core/error.h"

namespace robustlab::adaptation {

void BnOptions::validate() const {
  if (!(prior >= 0)) throw InvalidArgument("BN adaptation: the prior N must be >= 0 (or inf), got " + std::to_string(prior));
}

std::vector<NormLayer> batch_norm_layers(Classifier& model) {
  std::vector<NormLayer> layers;
  for (NormLayer& layer : model.norm_layers())
    if (layer.kind == NormLayer::Kind::kBatchNorm && layer.running_mean.defined() && layer.running_var.defined() &&
        layer.set_training)
      layers.push_back(std::move(layer));
  if (layers.empty())
    throw InvalidArgument("BN adaptation: " + model.description() + " has no batch-norm layer with running statistics");
  return layers;
}

namespace {

// Restores statistics and modes when it goes out of scope (also on errors).
class Restore {
 public:
  Restore(Classifier& model, std::vector<NormLayer>& layers) : model_(model), layers_(layers), training_(model.is_training()) {
    for (NormLayer& l : layers_) {
      means_.push_back(l.running_mean.clone());
      vars_.push_back(l.running_var.clone());

    }
  }
  ~Restore() {
    torch::NoGradGuard no_grad;
    model_.set_training(training_);
    for (size_t i = 0; i < layers_.size(); ++i) {
      layers_[i].running_mean.copy_(means_[i]);
      layers_[i].running_var.copy_(vars_[i]);
      layers_[i].set_training(training_);
    }
  }
 private:
  Classifier& model_;
  std::vector<NormLayer>& layers_;
  bool training_;
  std::vector<torch::Tensor> means_, vars_;
};

}  // namespace

void mix_batch_statistics(Classifier& model, std::vector<NormLayer>& layers, const torch::Tensor& x,
                          double source_weight) {
  torch::NoGradGuard no_grad;
  model.set_training(false);
  for (NormLayer& l : layers) l.set_training(false);
  for (NormLayer& l : layers) {
    // From zeroed buffers, a training-mode pass leaves m times this layer's batch mean and
    // unbiased variance in them (m its momentum); earlier layers already normalise with their
    // mixtures. (The momentum of a TorchScript batch norm is a constant, so it cannot be set to 1.)
    const torch::Tensor mean = l.running_mean.clone(), var = l.running_var.clone();
    const double m = l.momentum();
    l.running_mean.zero_();
    l.running_var.zero_();
    l.set_training(true);
    model.forward(x);
    l.set_training(false);
    l.running_mean.copy_(source_weight * mean + ((1 - source_weight) / m) * l.running_mean);
    l.running_var.copy_(source_weight * var + ((1 - source_weight) / m) * l.running_var);
  }
}

torch::Tensor predict_bn_adapted(Classifier& model, const torch::Tensor& x, const BnOptions& options) {
  options.validate();
  std::vector<NormLayer> layers = batch_norm_layers(model);
  torch::NoGradGuard no_grad;
  Restore restore(model, layers);
  model.set_training(false);
  if (std::isinf(options.prior)) return model.forward(x);
  if (options.prior == 0.0) {
    for (NormLayer& l : layers) l.set_training(true);
    return model.forward(x);
  }
  const double n = static_cast<double>(x.size(0));
  mix_batch_statistics(model, layers, x, options.prior / (options.prior + n));
  return model.forward(x);
}

}  // namespace robustlab::adaptation
