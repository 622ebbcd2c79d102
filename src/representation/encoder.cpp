// cl-ica's MLP encoder (see encoder.h).
#include "robustlab/representation/encoder.h"

#include "robustlab/core/error.h"

namespace robustlab::representation {

OutputNormalization parse_output_normalization(const std::string& name) {
  if (name == "none") return OutputNormalization::kNone;
  if (name == "sphere") return OutputNormalization::kFixedSphere;
  if (name == "learnable-sphere") return OutputNormalization::kLearnableSphere;
  if (name == "box") return OutputNormalization::kLearnableBox;
  throw InvalidArgument("encoder: unknown output normalisation '" + name +
                        "' (expected none, sphere, learnable-sphere or box)");
}

std::string to_string(OutputNormalization kind) {
  switch (kind) {
    case OutputNormalization::kNone: return "none";
    case OutputNormalization::kFixedSphere: return "sphere";
    case OutputNormalization::kLearnableSphere: return "learnable-sphere";
    default: return "box";
  }
}

void EncoderOptions::validate() const {
  if (n_in < 1 || n_out < 1) {
    throw InvalidArgument("encoder: input and output sizes must be positive, got " + std::to_string(n_in) + " and " +
                          std::to_string(n_out));
  }
  for (int64_t w : hidden) {
    if (w < 1) throw InvalidArgument("encoder: hidden widths must be positive, got " + std::to_string(w));
  }
}

std::vector<int64_t> EncoderOptions::widths() const {
  if (!hidden.empty()) return hidden;
  return {10 * n_in, 50 * n_in, 50 * n_in, 50 * n_in, 50 * n_in, 10 * n_in};
}

EncoderImpl::EncoderImpl(const EncoderOptions& options) : options_(options) {
  options_.validate();
  layers_ = register_module("layers", torch::nn::ModuleList());
  int64_t in = options_.n_in;
  for (int64_t w : options_.widths()) {
    layers_->push_back(torch::nn::Linear(in, w));
    in = w;
  }
  layers_->push_back(torch::nn::Linear(in, options_.n_out));
  if (options_.normalization == OutputNormalization::kLearnableSphere) {
    // cpu: the parameters are built here and moved with the module by to()
    radius_ = register_parameter("radius", torch::ones({1}));
  } else if (options_.normalization == OutputNormalization::kLearnableBox) {
    bound_ = register_parameter("bound", torch::ones({options_.n_out}));  // cpu: as radius_
  }
}

torch::Tensor EncoderImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = x;
  const size_t last = layers_->size() - 1;
  for (size_t i = 0; i <= last; ++i) {
    h = layers_[i]->as<torch::nn::Linear>()->forward(h);
    if (i < last) h = torch::leaky_relu(h, options_.negative_slope);
  }
  switch (options_.normalization) {
    case OutputNormalization::kFixedSphere: return h / h.norm(2, -1, true);
    case OutputNormalization::kLearnableSphere: return h / h.norm(2, -1, true) * radius_;
    case OutputNormalization::kLearnableBox: return torch::sigmoid(h) * bound_.unsqueeze(0);
    default: return h;
  }
}

}  // namespace robustlab::representation
