// Feature visualisation by activation maximisation (Olah, Mordvintsev and Schubert, "Feature
// Visualization", Distill 2017, with lucid's render_vis), set up as Borowski et al. 2021 generated
// their synthetic references (arXiv:2010.12606; ../shared/reference/mvh.md §6, from the repository's
// save_optimized_stimuli.py): a batch of 10 images in lucid's Fourier parameterisation with colour
// decorrelation (image_param.h), 224 px plus 16 px of padding on each side; the objective is the
// spatial mean of one channel of a layer, averaged over the batch, minus 1e2 times lucid's diversity
// term (the cosine similarity of the images' Gram matrices of that layer, summed over pairs and
// divided by the batch size); Adam with learning rate 0.05 for 2560 steps; before each step the image
// goes through jitter(16), a random scale from (1, .975, 1.025, .95, 1.05), a random rotation by
// −5…5 degrees and jitter(8). "Min" images minimise the channel's mean instead (the diversity term
// unchanged). The padding is cropped at the end.
//
// Differences from lucid, on purpose: the transforms draw from a seeded LibTorch generator (lucid
// seeds TensorFlow with 1234); rotation is nearest-neighbour about the centre with zero fill, as
// tf.contrib.image.rotate does by default, and scaling is bilinear. For images smaller than 224 px
// (Fashion-MNIST's 28) scaled_to() shrinks the padding and jitters in proportion.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "robustlab/models/classifier.h"

namespace robustlab::psychophysics {

struct FeatureVisOptions {
  std::string layer;         ///< one of the model's layer_names()
  int64_t channel = 0;       ///< channel of the layer's output (axis 1)
  bool minimize = false;     ///< "min" images: minimise the channel's mean
  int64_t batch = 10;        ///< images optimised together (the diversity term couples them)
  int64_t size = 224;        ///< side of the final image
  int64_t padding = 16;      ///< optimised on each side, cropped at the end
  int64_t channels = 3;      ///< 3: colour-decorrelated RGB; 1: grayscale (sigmoid only)
  int64_t steps = 2560;
  double lr = 0.05;          ///< Adam
  double diversity = 1e2;    ///< weight of the diversity penalty (0: none)
  int64_t jitter = 16;       ///< first random crop, pixels
  std::vector<double> scales = {1.0, 0.975, 1.025, 0.95, 1.05};
  std::vector<double> angles = {-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5};  ///< degrees
  int64_t jitter_after = 8;  ///< second random crop, pixels
  /// > 0: the transformed image is resized to this side before the model (for models with a
  /// fixed input size); 0: the model sees the transformed size, as in lucid.
  int64_t input_size = 0;
  uint64_t seed = 1234;
  void validate() const;
  /// The reference options for a `size`-pixel image: padding and jitters scaled by size / 224
  /// (at least 1 pixel each).
  static FeatureVisOptions scaled_to(int64_t size);
};

struct FeatureVisResult {
  torch::Tensor images;       ///< [batch, channels, size, size] in [0, 1]
  torch::Tensor activations;  ///< [batch]: the channel's spatial mean on each final image
  std::vector<double> objective;  ///< the objective (to maximise) every 10 steps and at the end
};

/// The spatial mean of `channel` of `output` ([N, C, H, W], or [N, C] for a flat layer) -> [N].
/// Throws InvalidArgument when the channel is out of range.
torch::Tensor channel_mean(const torch::Tensor& output, int64_t channel, const std::string& layer);

/// lucid's diversity of a batch of layer outputs [N, C, H, W]: Σ_{i≠j} <G_i, G_j> / N with G_i the
/// image's C × C Gram matrix over positions, normalised to unit Frobenius norm.
torch::Tensor diversity(const torch::Tensor& output);

/// Optimises `options.batch` images for the channel. The model is put in evaluation mode and its
/// parameters get no gradients. `on_step(step, objective)` is called every step (for progress and
/// for stopping: it may throw).
FeatureVisResult visualize_channel(Classifier& model, const FeatureVisOptions& options,
                                   const std::function<void(int64_t, double)>& on_step = {});

}  // namespace robustlab::psychophysics
