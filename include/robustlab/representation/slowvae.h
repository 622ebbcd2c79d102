// SlowVAE (Klindt et al. 2021, "Towards Nonlinear Disentanglement in Natural Data with Temporal
// Sparse Coding", arXiv:2007.10930; code bethgelab/slow_disentanglement, scripts/model.py and
// solver.py; ../shared/reference/replearn.md §2.1–2.2) and its β-VAE baseline:
//
// - the β-VAE conv net of Higgins et al. 2017 (1Konny's BetaVAE_H): encoder 4 × (4×4 stride-2
//   conv, ReLU) with 32, 32, 64, 64 channels, a 4×4 conv to 256, ReLU, Linear(256 → 2·z) giving
//   μ and log σ²; decoder Linear(z → 256), ReLU, five transposed convs to 64×64 logits. Linear and
//   Conv2d weights kaiming-normal with zero bias; the transposed convs keep PyTorch's defaults
//   (the reference's isinstance check misses them).
// - the loss on a batch of pairs, interleaved (x_t, x_t+1, x_t', x_t'+1, …):
//   2·recon + β·KL_N + γ·KL_L, with recon = Bernoulli BCE-with-logits summed over pixels and
//   divided by the number of images, KL_N = CE_N − H the KL to N(0, I) of every image, and
//   KL_L = CE_L − H where CE_L is the cross-entropy of the Laplace(0, 1/λ) transition prior,
//   applied both ways through the other frame's posterior mean:
//   CE_L(μ0 − μ1, logvar0) + CE_L(μ1 − μ0, logvar1) summed over dimensions and averaged over pairs,
//   CE_L(m, s) = −log(λ/2) + λ s √(2/π) exp(−m²/2s²) − λ m (1 − 2Φ(m/s)) (λ E|z| for z ~ N(m, s²)).
//   H and CE_N are averaged over all images. γ = 0 gives the β-VAE.
// - training as the reference: Adam lr 1e-4, betas (0.9, 0.999), 32 pairs per batch; SlowVAE
//   (β, γ, λ) = (1, 10, 6), β-VAE β = 8 (the authors' best settings). Checkpoints hold the model,
//   the optimiser, the step and the data stream's state, so a run resumes where it stopped.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <string>

#include "robustlab/representation/sprites_data.h"

namespace robustlab {
class Progress;
}

namespace robustlab::representation {

class BetaVaeImpl : public torch::nn::Module {
 public:
  BetaVaeImpl(int64_t z_dim = 10, int64_t channels = 1);
  /// x [N, C, 64, 64] -> (μ, log σ²), each [N, z].
  std::pair<torch::Tensor, torch::Tensor> encode(const torch::Tensor& x);
  /// z [N, z] -> logits [N, C, 64, 64].
  torch::Tensor decode(const torch::Tensor& z);
  int64_t z_dim() const { return z_dim_; }

 private:
  int64_t z_dim_;
  torch::nn::Sequential encoder_{nullptr}, decoder_{nullptr};
};
TORCH_MODULE(BetaVae);

struct SlowVaeLossOptions {
  double beta = 1.0;   ///< weight of KL to N(0, I)
  double gamma = 10.0; ///< weight of the Laplace transition KL (0: β-VAE)
  double rate = 6.0;   ///< λ of the Laplace prior (--rate-prior)
  void validate() const;
};

struct SlowVaeLoss {
  torch::Tensor total, recon, kl_normal, kl_laplace;
};

/// The per-element Laplace cross-entropy CE_L(m, logvar) with rate λ.
torch::Tensor laplace_cross_entropy(const torch::Tensor& mean, const torch::Tensor& logvar, double rate);
/// The loss of a batch of 2P interleaved pair images x, their logits and posteriors.
SlowVaeLoss slowvae_loss(const torch::Tensor& x, const torch::Tensor& logits, const torch::Tensor& mu,
                         const torch::Tensor& logvar, const SlowVaeLossOptions& options);

enum class SpriteDataset { kDSprites, kNaturalSprites };
SpriteDataset parse_sprite_dataset(const std::string& name);  ///< dsprites, natural-sprites
std::string to_string(SpriteDataset d);

struct SlowVaeTrainOptions {
  SpriteDataset dataset = SpriteDataset::kDSprites;
  PairOptions pairs;
  NaturalSpritesOptions natural;
  bool slow = true;  ///< SlowVAE; false: the β-VAE baseline (γ = 0)
  SlowVaeLossOptions loss;
  int64_t z_dim = 10;
  int64_t batch_pairs = 32;
  int64_t steps = 300000;
  double lr = 1e-4;
  int64_t log_every = 1000;
  int64_t checkpoint_every = 1000;
  uint64_t seed = 0;
  std::optional<std::filesystem::path> checkpoint;  ///< written as it trains; resumed from if present
  void validate() const;
  /// The defaults of the chosen model: SlowVAE (1, 10, 6) or β-VAE β = 8, γ = 0.
  static SlowVaeLossOptions model_defaults(bool slow);
};

struct TrainPoint {
  int64_t step = 0;
  double total = 0, recon = 0, kl_normal = 0, kl_laplace = 0;  ///< means since the previous point
};

/// Trains (or resumes) a model; returns it. on_log sees every logged point.
BetaVae train_slowvae(const SlowVaeTrainOptions& options, const std::function<void(const TrainPoint&)>& on_log = {},
                      Progress* progress = nullptr);
/// Loads a checkpoint written by train_slowvae, on the default device: the model and the options
/// it was trained with (a JSON string). Throws FormatError for a corrupt or foreign file.
std::pair<BetaVae, std::string> load_slowvae(const std::filesystem::path& checkpoint);

/// The posterior means μ of images [N, C, 64, 64], in batches on the model's device, without
/// gradients; returned on the CPU.
torch::Tensor encode_means(BetaVae& model, const torch::Tensor& images, int64_t batch = 256);

}  // namespace robustlab::representation
