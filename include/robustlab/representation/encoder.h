// The encoder f of the contrastive-identifiability study, as cl-ica's encoders.get_mlp builds it
// (Zimmermann et al. 2021, arXiv:2102.08850; ../shared/reference/replearn.md §1.3): an MLP
// n → 10n → 50n → 50n → 50n → 50n → 10n → n of nn.Linear layers with PyTorch's default
// initialisation and LeakyReLU(0.01) after every hidden layer, then an optional output
// normalisation: a fixed sphere (x/‖x‖·r, r = 1; what the dot-product loss uses), a sphere of
// learnable radius, or a soft-clipped box (sigmoid(x) times a learnable per-dimension bound,
// initialised to 1).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace robustlab::representation {

enum class OutputNormalization { kNone, kFixedSphere, kLearnableSphere, kLearnableBox };
OutputNormalization parse_output_normalization(const std::string& name);  ///< none, sphere, learnable-sphere, box
std::string to_string(OutputNormalization kind);

struct EncoderOptions {
  int64_t n_in = 10;
  int64_t n_out = 10;
  /// Hidden widths; empty means cl-ica's [10n, 50n, 50n, 50n, 50n, 10n] for n = n_in.
  std::vector<int64_t> hidden;
  OutputNormalization normalization = OutputNormalization::kNone;
  double negative_slope = 0.01;
  void validate() const;
  std::vector<int64_t> widths() const;  ///< the hidden widths actually used
};

class EncoderImpl : public torch::nn::Module {
 public:
  explicit EncoderImpl(const EncoderOptions& options);
  /// x: [N, n_in] -> [N, n_out].
  torch::Tensor forward(const torch::Tensor& x);
  const EncoderOptions& options() const { return options_; }

 private:
  EncoderOptions options_;
  torch::nn::ModuleList layers_;
  torch::Tensor radius_, bound_;  ///< learnable sphere radius [1] / box bound [n_out]
};
TORCH_MODULE(Encoder);

}  // namespace robustlab::representation
