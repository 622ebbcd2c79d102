// The test-time augmentations of CoTTA (Wang, Fink, Van Gool, Dai, "Continual Test-Time Domain
// Adaptation", CVPR 2022, arXiv:2203.13591), as the TTA benchmark defines them for CoTTA, RoTTA and
// ROID (mariodoebler/test-time-adaptation, classification/augmentations/transforms_cotta.py, after
// KATANA, arXiv:2109.08191): clip; colour jitter in a random order (brightness 0.6–1.4, contrast
// 0.7–1.3, saturation 0.5–1.5, hue ±0.06, gamma 0.7–1.3, with torchvision's tensor definitions);
// pad by half the image size (edge or reflect); a random affine map (rotation ±15°, translation up
// to 1/16 of the padded size in whole pixels, scale 0.9–1.1, bilinear); with `blur_and_noise` a
// Gaussian blur (5×5, σ in 0.001–0.5); the centre crop back to the original size; a horizontal flip
// with probability ½; with `blur_and_noise` Gaussian noise (σ 0.005); clip. As torchvision does for
// a batch tensor, one draw of the parameters applies to the whole batch (the noise is per pixel).
// Saturation and hue leave one-channel images unchanged, as torchvision's do.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/types.h>

namespace robustlab::adaptation {

struct AugmentOptions {
  bool reflect_padding = false;  ///< ROID pads by reflection, CoTTA and RoTTA by the edge pixels
  bool blur_and_noise = true;    ///< CoTTA's Gaussian blur and noise (ROID leaves them out)
};

/// x: [N,C,H,W] in [0,1] (C 1 or 3) -> the augmented batch, same shape, in [0,1].
torch::Tensor cotta_augment(const torch::Tensor& x, const AugmentOptions& options, at::Generator& generator);

/// torchvision's tensor colour operations (functional_tensor.py), per image of a batch [N,C,H,W].
torch::Tensor adjust_brightness(const torch::Tensor& x, double factor);
torch::Tensor adjust_contrast(const torch::Tensor& x, double factor);
torch::Tensor adjust_saturation(const torch::Tensor& x, double factor);
torch::Tensor adjust_hue(const torch::Tensor& x, double factor);
torch::Tensor adjust_gamma(const torch::Tensor& x, double gamma);

}  // namespace robustlab::adaptation
