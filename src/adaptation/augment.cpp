// CoTTA's test-time augmentation chain (Wang et al., CVPR 2022, arXiv:2203.13591) as the TTA
// benchmark defines it (mariodoebler/test-time-adaptation, augmentations/transforms_cotta.py). The
// colour operations and the affine map follow torchvision's tensor definitions
// (transforms/_functional_tensor.py: _blend, rgb_to_grayscale, _rgb2hsv/_hsv2rgb,
// _get_inverse_affine_matrix, _gen_affine_grid with the fill mask of _apply_grid_transform).
#include "robustlab/adaptation/augment.h"

#include <cmath>

#include <torch/torch.h>

#include "robustlab/core/error.h"

namespace robustlab::adaptation {

namespace F = torch::nn::functional;

namespace {

torch::Tensor blend(const torch::Tensor& a, const torch::Tensor& b, double ratio) {
  return (ratio * a + (1 - ratio) * b).clamp(0, 1);
}

torch::Tensor grayscale(const torch::Tensor& x) {  // [N,3,H,W] -> [N,1,H,W], ITU-R 601-2 luma
  return (0.2989 * x.select(1, 0) + 0.587 * x.select(1, 1) + 0.114 * x.select(1, 2)).unsqueeze(1);
}

double uniform(at::Generator& g, double low, double high) {
  // cpu: one number drawn from the CPU generator (the same draws on every device)
  return torch::empty({1}, torch::kFloat32).uniform_(low, high, g).item<float>();
}

torch::Tensor rgb_to_hsv(const torch::Tensor& x) {
  const torch::Tensor r = x.select(1, 0), g = x.select(1, 1), b = x.select(1, 2);
  const torch::Tensor maxc = std::get<0>(x.max(1)), minc = std::get<0>(x.min(1));
  const torch::Tensor equal = maxc.eq(minc), range = maxc - minc, ones = torch::ones_like(maxc);
  const torch::Tensor s = range / torch::where(equal, ones, maxc);
  const torch::Tensor divisor = torch::where(equal, ones, range);
  const torch::Tensor rc = (maxc - r) / divisor, gc = (maxc - g) / divisor, bc = (maxc - b) / divisor;
  const torch::Tensor hr = maxc.eq(r) * (bc - gc);
  const torch::Tensor hg = maxc.eq(g).logical_and(maxc.ne(r)) * (2.0 + rc - bc);
  const torch::Tensor hb = maxc.ne(g).logical_and(maxc.ne(r)) * (4.0 + gc - rc);
  const torch::Tensor h = torch::fmod((hr + hg + hb) / 6.0 + 1.0, 1.0);
  return torch::stack({h, s, maxc}, 1);
}

torch::Tensor hsv_to_rgb(const torch::Tensor& x) {
  const torch::Tensor h = x.select(1, 0), s = x.select(1, 1), v = x.select(1, 2);
  const torch::Tensor i = torch::floor(h * 6.0), f = h * 6.0 - i;
  const torch::Tensor p = (v * (1 - s)).clamp(0, 1), q = (v * (1 - s * f)).clamp(0, 1),
                      t = (v * (1 - s * (1 - f))).clamp(0, 1);
  const torch::Tensor sector = torch::remainder(i.to(torch::kInt32), 6);
  auto pick = [&](std::initializer_list<torch::Tensor> by_sector) {  // the channel's value in each sector
    torch::Tensor out = torch::zeros_like(h);
    int k = 0;
    for (const torch::Tensor& value : by_sector) out = torch::where(sector.eq(k++), value, out);
    return out;
  };
  return torch::stack({pick({v, q, p, p, t, v}), pick({t, v, v, q, p, p}), pick({p, p, t, v, v, q})}, 1);
}

/// torchvision's RandomAffine with fill 0 on [N,C,H,W]: rotation by `degrees`, translation
/// (tx, ty) pixels, `scale`, bilinear, about the image centre.
torch::Tensor affine(const torch::Tensor& x, double degrees, double tx, double ty, double scale) {
  const double rot = degrees * M_PI / 180.0, w = static_cast<double>(x.size(3)), h = static_cast<double>(x.size(2));
  // The inverse map in centred pixel coordinates, [cos sin; −sin cos] / scale, after the translation.
  const double m00 = std::cos(rot) / scale, m01 = std::sin(rot) / scale, m10 = -std::sin(rot) / scale,
               m11 = std::cos(rot) / scale;
  const double m02 = -m00 * tx - m01 * ty, m12 = -m10 * tx - m11 * ty;
  const torch::Tensor theta = torch::tensor({m00, m01 * h / w, m02 * 2 / w, m10 * w / h, m11, m12 * 2 / h},
                                            x.options().dtype(torch::kFloat64))
                                  .view({1, 2, 3})
                                  .to(x.dtype());
  // One grid for the whole batch (one draw per batch), and the fill mask sampled once from it.
  const torch::Tensor grid = F::affine_grid(theta, {1, 1, x.size(2), x.size(3)}, /*align_corners=*/false);
  const auto options = F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false);
  const torch::Tensor mask = F::grid_sample(torch::ones({1, 1, x.size(2), x.size(3)}, x.options()), grid, options);
  const torch::Tensor out = F::grid_sample(x, grid.expand({x.size(0), -1, -1, -1}), options);
  return out * mask;  // img · mask + (1 − mask) · fill, fill 0
}

torch::Tensor gaussian_blur(const torch::Tensor& x, double sigma) {
  const torch::Tensor t = torch::linspace(-2, 2, 5, x.options());
  torch::Tensor k = torch::exp(-0.5 * (t / sigma).square());
  k = k / k.sum();
  const int64_t c = x.size(1);
  const torch::Tensor kernel = k.unsqueeze(1).matmul(k.unsqueeze(0)).expand({c, 1, 5, 5});
  const torch::Tensor padded = F::pad(x, F::PadFuncOptions({2, 2, 2, 2}).mode(torch::kReflect));
  return F::conv2d(padded, kernel, F::Conv2dFuncOptions().groups(c));
}

}  // namespace

torch::Tensor adjust_brightness(const torch::Tensor& x, double factor) {
  return blend(x, torch::zeros_like(x), factor);
}

torch::Tensor adjust_contrast(const torch::Tensor& x, double factor) {
  const torch::Tensor gray = x.size(1) == 3 ? grayscale(x) : x;
  return blend(x, gray.mean({1, 2, 3}, /*keepdim=*/true), factor);
}

torch::Tensor adjust_saturation(const torch::Tensor& x, double factor) {
  return x.size(1) == 1 ? x : blend(x, grayscale(x), factor);
}

torch::Tensor adjust_hue(const torch::Tensor& x, double factor) {
  if (x.size(1) == 1) return x;
  torch::Tensor hsv = rgb_to_hsv(x);
  hsv = torch::stack({torch::remainder(hsv.select(1, 0) + factor, 1.0), hsv.select(1, 1), hsv.select(1, 2)}, 1);
  return hsv_to_rgb(hsv);
}

torch::Tensor adjust_gamma(const torch::Tensor& x, double gamma) { return x.pow(gamma).clamp(0, 1); }

torch::Tensor cotta_augment(const torch::Tensor& input, const AugmentOptions& options, at::Generator& g) {
  if (input.dim() != 4 || (input.size(1) != 1 && input.size(1) != 3))
    throw InvalidArgument("augment: expected a batch [N,C,H,W] with 1 or 3 channels");
  torch::NoGradGuard no_grad;
  torch::Tensor x = input.clamp(0, 1);
  // Colour jitter (ColorJitterPro): the five operations in a random order, each factor drawn when applied.
  // cpu: an order drawn from the CPU generator
  const torch::Tensor order = torch::randperm(5, g, torch::kLong);
  for (int64_t k = 0; k < 5; ++k) {
    switch (order[k].item<int64_t>()) {
      case 0: x = adjust_brightness(x, uniform(g, 0.6, 1.4)); break;
      case 1: x = adjust_contrast(x, uniform(g, 0.7, 1.3)); break;
      case 2: x = adjust_saturation(x, uniform(g, 0.5, 1.5)); break;
      case 3: x = adjust_hue(x, uniform(g, -0.06, 0.06)); break;
      default: x = adjust_gamma(x.clamp(1e-8, 1.0), uniform(g, 0.7, 1.3)); break;
    }
  }
  const int64_t pad = input.size(2) / 2;  // half of the image size, on every side
  F::PadFuncOptions padding({pad, pad, pad, pad});
  if (options.reflect_padding)
    padding.mode(torch::kReflect);
  else
    padding.mode(torch::kReplicate);
  x = F::pad(x, padding);
  const double degrees = uniform(g, -15, 15);
  const double max_dx = x.size(3) / 16.0, max_dy = x.size(2) / 16.0;
  const double tx = std::round(uniform(g, -max_dx, max_dx)), ty = std::round(uniform(g, -max_dy, max_dy));
  x = affine(x, degrees, tx, ty, uniform(g, 0.9, 1.1));
  if (options.blur_and_noise) x = gaussian_blur(x, uniform(g, 0.001, 0.5));
  x = x.narrow(2, pad, input.size(2)).narrow(3, pad, input.size(3));  // the centre crop
  // cpu: a coin flip drawn from the CPU generator
  if (torch::rand({1}, g).item<float>() < 0.5f) x = x.flip(3);
  if (options.blur_and_noise) x = x + torch::randn(x.sizes(), g, x.options().device(torch::kCPU)).to(x.device()) * 0.005;
  return x.clamp(0, 1);
}

}  // namespace robustlab::adaptation
