// The image parameterisation of feature visualisation (Olah, Mordvintsev and Schubert, "Feature
// Visualization", Distill 2017; lucid's optvis.param.spatial.fft_image and color.to_valid_rgb, as
// Borowski et al. 2021 used them, ../shared/reference/mvh.md §6): the image is the inverse real
// FFT of a spectrum scaled by 1 / max(frequency, 1 / max(h, w))^decay · √(h·w), divided by 4, in a
// decorrelated colour space that the square root of ImageNet's colour correlation (normalised by
// its largest column norm) maps back to RGB, then squashed by a sigmoid.
#pragma once

#include <cstdint>

#include <ATen/core/Generator.h>
#include <torch/types.h>

namespace robustlab::psychophysics {

/// lucid's color_correlation_svd_sqrt (3 × 3, columns orthogonal).
torch::Tensor color_correlation_svd_sqrt();

/// |f| of every rfft2 coefficient of an h × w image: [h, w/2 + 1] (one column more for odd w,
/// whose extra output pixel is cropped, as lucid does).
torch::Tensor rfft2d_frequencies(int64_t h, int64_t w);

/// The Fourier parameterisation: `spectrum` [B, C, h, fw, 2] (real, imaginary) is the variable.
struct FourierImage {
  int64_t height = 0, width = 0;
  torch::Tensor spectrum;  ///< requires grad
  torch::Tensor scale;     ///< [h, fw]

  /// A random start: spectrum ~ N(0, sd²), lucid's sd 0.01, drawn from `generator`.
  static FourierImage random(int64_t batch, int64_t channels, int64_t height, int64_t width,
                             at::Generator generator, double sd = 0.01, double decay_power = 1.0);
  /// The spectrum that gives `image` ([B, C, h, w], even w), for tests and warm starts.
  static FourierImage from_image(const torch::Tensor& image, double decay_power = 1.0);
  /// The image in the decorrelated space (before the colour transform), [B, C, h, w].
  torch::Tensor spatial() const;
};

/// RGB in [0, 1] from a decorrelated image [B, 3, h, w] (lucid's to_valid_rgb with decorrelate and
/// sigmoid); one-channel images are only squashed.
torch::Tensor to_valid_rgb(const torch::Tensor& decorrelated);

}  // namespace robustlab::psychophysics
