// See image_param.h.
#include "robustlab/psychophysics/image_param.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "robustlab/core/error.h"

namespace robustlab::psychophysics {
namespace {

// numpy.fft.fftfreq(n): 0, 1, …, ⌈n/2⌉ − 1, then −⌊n/2⌋, …, −1, all divided by n.
torch::Tensor fftfreq(int64_t n) {
  // cpu: the spectrum scale is built here and moved beside the spectrum
  auto f = torch::arange(n, torch::kFloat64);
  f = torch::where(f < (n + 1) / 2, f, f - n);
  return f / static_cast<double>(n);
}

torch::Tensor spectrum_scale(int64_t h, int64_t w, double decay_power) {
  const torch::Tensor freqs = rfft2d_frequencies(h, w);
  return (1.0 / torch::clamp_min(freqs, 1.0 / static_cast<double>(std::max(h, w))).pow(decay_power) *
          std::sqrt(static_cast<double>(h * w)))
      .to(torch::kFloat32);
}

}  // namespace

torch::Tensor color_correlation_svd_sqrt() {
  // cpu: moved to the image in to_valid_rgb
  return torch::tensor({0.26, 0.09, 0.02, 0.27, 0.00, -0.05, 0.27, -0.09, 0.03}, torch::kFloat32).view({3, 3});
}

torch::Tensor rfft2d_frequencies(int64_t h, int64_t w) {
  if (h < 1 || w < 1) throw InvalidArgument("feature visualisation: image size must be >= 1");
  const torch::Tensor fy = fftfreq(h).unsqueeze(1);
  const torch::Tensor fx = fftfreq(w).narrow(0, 0, std::min(w, w / 2 + (w % 2 == 1 ? 2 : 1)));
  return torch::sqrt(fx * fx + fy * fy);
}

FourierImage FourierImage::random(int64_t batch, int64_t channels, int64_t height, int64_t width,
                                  at::Generator generator, double sd,
                                  double decay_power) {
  FourierImage f;
  f.height = height;
  f.width = width;
  f.scale = spectrum_scale(height, width, decay_power);
  // cpu: drawn from the CPU generator; visualize_channel moves it to the model
  f.spectrum = (torch::randn({batch, channels, height, f.scale.size(1), 2}, generator) * sd).requires_grad_(true);
  return f;
}

FourierImage FourierImage::from_image(const torch::Tensor& image, double decay_power) {
  if (image.dim() != 4 || image.size(3) % 2 != 0)
    throw InvalidArgument("feature visualisation: from_image needs [B, C, H, W] with an even width");
  FourierImage f;
  f.height = image.size(2);
  f.width = image.size(3);
  f.scale = spectrum_scale(f.height, f.width, decay_power).to(image.device());
  const torch::Tensor spectrum = torch::fft::rfft2(image.to(torch::kFloat32) * 4) / f.scale;
  f.spectrum = torch::view_as_real(spectrum).contiguous().requires_grad_(true);
  return f;
}

torch::Tensor FourierImage::spatial() const {
  const torch::Tensor complex = torch::view_as_complex(spectrum) * scale;
  const int64_t out_width = 2 * (scale.size(1) - 1);
  return torch::fft::irfft2(complex, std::vector<int64_t>{height, out_width}).narrow(3, 0, width) / 4;
}

torch::Tensor to_valid_rgb(const torch::Tensor& decorrelated) {
  if (decorrelated.size(1) != 3) return torch::sigmoid(decorrelated);
  const torch::Tensor m = color_correlation_svd_sqrt();
  const torch::Tensor normalized = m / m.norm(2, 0).max();
  // Each pixel's colour vector c becomes normalized · c.
  return torch::sigmoid(torch::einsum("ij,bjhw->bihw", {normalized.to(decorrelated.device(), decorrelated.dtype()), decorrelated}));
}

}  // namespace robustlab::psychophysics
