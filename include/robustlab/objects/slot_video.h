// The benchmark's learned baseline: a video slot-attention model trained without supervision on
// CPU. Slot Attention (Locatello et al. 2020, "Object-Centric Learning with Slot Attention",
// NeurIPS, arXiv:2006.15055) decomposes each frame; as in SAVi (Kipf et al. 2022, "Conditional
// Object-Centric Learning from Video", ICLR, arXiv:2111.12594, its unconditional variant) the slots
// of frame t start from a prediction made from the slots of frame t − 1, so slot k keeps following
// the same object and the slot index is the track identity — the convention ViMON's outputs follow
// in the benchmark of Weis et al. 2021 (../shared/reference/replearn.md §3.2–3.3).
//
// - Encoder: 5×5 convs 3→C (stride 1), C→C (stride 2), C→C (stride 1), ReLU, to a 32 × 32 grid; a
//   learned linear position embedding of (x, y, 1 − x, 1 − y) is added; LayerNorm, MLP D→D→D,
//   LayerNorm.
// - Slot attention (the paper's algorithm 1): K slots of size D, keys/values/queries without bias,
//   softmax over the slots with ε = 1e-8, weighted mean over the inputs, GRU update, residual MLP;
//   `iterations` rounds on the first frame (slots drawn from a learned Gaussian), `iterations_later`
//   on the following frames.
// - Predictor: slots_t ← s + MLP(LayerNorm(s)) of the previous frame's slots (SAVi uses a
//   transformer; with one slot per object and no interactions in VMDS an MLP suffices).
// - Decoder, one of two (reconstruction = Σ masks · RGB, loss = MSE on images in [0, 1]):
//   attention (the default): the masks are the last slot-attention round's attention (softmax over
//   the slots on the 32 × 32 grid, bilinearly upsampled to 64 × 64 — still a partition of every
//   pixel) and each slot paints one colour, a linear read-out of the slot. VMDS objects are
//   uniformly coloured, so nothing is lost, and the gradient reaches the grouping directly: on this
//   CPU it segments after a few hundred steps, where the broadcast decoder was still drawing blurs
//   after 600 (docs/objects.md);
//   broadcast (the paper's, Watters et al. 2019): each slot broadcast on an 8 × 8 grid with a
//   position embedding, three 3×3 stride-2 transposed convs (C, C, C/2 channels) to 64 × 64, a 3×3
//   conv to RGB + α (the paper's 5×5 kernels cost 2.8× more on CPU), masks = softmax of α over the
//   slots, RGB linear as in the paper.
// - Training: Adam with a linear warm-up (Locatello et al.: lr 4e-4 over 500k steps of 64 images;
//   here lr 1e-3 over 100 warm-up steps, which learns within this CPU budget), clips of `clip`
//   consecutive frames from the training split, SAVi's gradient-norm clip 0.05. Scale (documented
//   in docs/objects.md): D = 64, C = 32, K = 5, a few thousand steps of 8 clips × 4 frames.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <optional>

#include "robustlab/objects/mot.h"

namespace robustlab {
class Progress;
}

namespace robustlab::objects {

/// attention: masks are the slot attention of the last iteration (32 × 32, bilinearly upsampled),
/// each slot paints one colour read from it linearly — cheap, and it learns within minutes on
/// sprite videos; broadcast: the paper's spatial-broadcast decoder (slower to learn, any texture).
enum class SlotDecoder { kAttention, kBroadcast };
SlotDecoder parse_slot_decoder(const std::string& name);
std::string to_string(SlotDecoder decoder);

struct SlotVideoConfig {
  int64_t slots = 5;  ///< four objects and the background
  int64_t dim = 64;   ///< slot and feature size D
  int64_t channels = 32;
  int64_t iterations = 3;
  int64_t iterations_later = 1;
  SlotDecoder decoder = SlotDecoder::kAttention;
  void validate() const;
  nlohmann::json to_json() const;
  static SlotVideoConfig from_json(const nlohmann::json& json);
};

struct SlotVideoOutput {
  torch::Tensor reconstruction;  ///< [B, T, 3, 64, 64]
  torch::Tensor masks;           ///< [B, T, K, 64, 64], summing to 1 over K
};

class SlotVideoImpl : public torch::nn::Module {
 public:
  explicit SlotVideoImpl(const SlotVideoConfig& config = {});
  /// frames [B, T, 3, 64, 64] in [0, 1]. The first frame's slots are μ + σ·noise with noise
  /// [B, K, D] (drawn from torch's generator when undefined); μ and σ are shared by the slots.
  SlotVideoOutput forward(const torch::Tensor& frames, const torch::Tensor& noise = {});
  const SlotVideoConfig& config() const { return config_; }

 private:
  torch::Tensor encode(const torch::Tensor& images);                         ///< [N, 3, 64, 64] -> [N, 1024, D]
  /// The slots after `iterations` rounds and the last round's attention [N, inputs, K] (softmax over K).
  std::pair<torch::Tensor, torch::Tensor> attend(torch::Tensor slots, const torch::Tensor& inputs, int64_t iterations);
  /// [N, K, D] and their attention -> rgb [N, K, 3, 64, 64] and masks [N, K, 64, 64] (summing to 1 over K).
  std::pair<torch::Tensor, torch::Tensor> decode(const torch::Tensor& slots, const torch::Tensor& attention);

  SlotVideoConfig config_;
  torch::nn::Sequential cnn_{nullptr}, feature_mlp_{nullptr}, slot_mlp_{nullptr}, predictor_{nullptr}, decoder_{nullptr};
  torch::nn::Linear colour_{nullptr}, encoder_position_{nullptr}, decoder_position_{nullptr}, to_q_{nullptr}, to_k_{nullptr}, to_v_{nullptr};
  torch::nn::LayerNorm input_norm_{nullptr}, feature_norm_{nullptr}, slot_norm_{nullptr}, mlp_norm_{nullptr}, predictor_norm_{nullptr};
  torch::nn::GRUCell gru_{nullptr};
  torch::Tensor slot_mu_, slot_log_sigma_, encoder_grid_, decoder_grid_;
};
TORCH_MODULE(SlotVideo);

struct SlotTrainOptions {
  SlotVideoConfig model;
  std::filesystem::path data;   ///< a folder written by write_split
  std::string split = "train";
  int64_t clip = 4;             ///< consecutive frames per training clip
  int64_t batch = 8;            ///< clips per step
  int64_t steps = 3000;
  double lr = 1e-3;
  int64_t warmup = 100;
  double clip_norm = 0.05;
  int64_t log_every = 100;
  int64_t checkpoint_every = 200;
  uint64_t seed = 0;
  std::optional<std::filesystem::path> checkpoint;  ///< written as it trains; resumed from if present
  void validate() const;
};

struct SlotTrainPoint {
  int64_t step = 0;
  double mse = 0;  ///< mean squared error per pixel and channel since the previous point
};

/// Trains (or resumes) the model on clips of the split's videos, on the default device.
SlotVideo train_slot_video(const SlotTrainOptions& options, const std::function<void(const SlotTrainPoint&)>& on_log = {},
                           Progress* progress = nullptr);
/// A model written by train_slot_video, in evaluation mode, on the default device.
SlotVideo load_slot_video(const std::filesystem::path& checkpoint);

struct SlotPrediction {
  std::vector<Video> videos;  ///< binarised slot masks, ids video·K + slot
  double mse = 0;             ///< the benchmark's MSE: squared error summed over C × H × W, mean over frames
};

/// Runs the model over every frame of videos uint8 [N, T, 64, 64, 3] (the slots of video v drawn
/// with seed + v, so predictions are reproducible) and binarises its masks as the benchmark does.
SlotPrediction predict_slot_video(SlotVideo& model, const torch::Tensor& videos, uint64_t seed = 0,
                                  const std::function<void(int64_t)>& on_video = {});

}  // namespace robustlab::objects
