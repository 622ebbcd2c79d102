// Noise and blur corruptions of ImageNet-C (Hendrycks & Dietterich, ICLR 2019) with the parameter
// tables and arithmetic of bethgelab/imagecorruptions (reference: ../shared/reference/
// corruptions.md §1.2-1.3): gaussian, shot, impulse and speckle noise; defocus, glass, motion,
// zoom and gaussian blur.
#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "algorithms.h"
#include "ops.h"

namespace robustlab::corruptions::detail {
namespace {


}  // namespace

cv::Mat gaussian_noise(const cv::Mat& rgb, const Context& context) {
  static constexpr std::array<double, 5> sigma{.08, .12, .18, .26, .38};
  std::vector<double> x(values(rgb));
  fill_normal(*context.rng, x.data(), x.size(), 0.0, pick(sigma, context));
  const uint8_t* in = rgb.ptr<uint8_t>();
  for (size_t i = 0; i < x.size(); ++i) x[i] += in[i] / 255.0;
  return from_unit(x, rgb);
}

cv::Mat shot_noise(const cv::Mat& rgb, const Context& context) {
  static constexpr std::array<double, 5> photons{60, 25, 12, 5, 3};
  const double c = pick(photons, context);
  const PoissonTables& poisson = poisson_tables(c);
  std::vector<double> x(values(rgb));
  const uint8_t* in = rgb.ptr<uint8_t>();
  Rng rng = *context.rng;
  for (size_t i = 0; i < x.size(); ++i) x[i] = poisson.draw(in[i], rng) / c;
  *context.rng = rng;
  return from_unit(x, rgb);
}

cv::Mat impulse_noise(const cv::Mat& rgb, const Context& context) {
  // skimage.util.random_noise(mode='s&p'): each value flips with probability `amount`, to 1 or 0
  // with equal probability (one 64-bit draw: 53 bits for the flip, the lowest for salt/pepper).
  static constexpr std::array<double, 5> amount{.03, .06, .09, .17, .27};
  const double p_flip = pick(amount, context);
  std::vector<double> x(values(rgb));
  const uint8_t* in = rgb.ptr<uint8_t>();
  Rng rng = *context.rng;
  for (size_t i = 0; i < x.size(); ++i) {
    const uint64_t bits = rng();
    const bool flipped = static_cast<double>(bits >> 11) * 0x1.0p-53 < p_flip;
    x[i] = flipped ? static_cast<double>(bits & 1) : in[i] / 255.0;
  }
  *context.rng = rng;
  return from_unit(x, rgb);
}

cv::Mat speckle_noise(const cv::Mat& rgb, const Context& context) {
  static constexpr std::array<double, 5> sigma{.15, .2, .35, .45, .6};
  std::vector<double> x(values(rgb));
  fill_normal(*context.rng, x.data(), x.size(), 0.0, pick(sigma, context));
  const uint8_t* in = rgb.ptr<uint8_t>();
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = in[i] / 255.0;
    x[i] = v + v * x[i];
  }
  return from_unit(x, rgb);
}

cv::Mat gaussian_blur(const cv::Mat& rgb, const Context& context) {
  static constexpr std::array<double, 5> sigma{1, 2, 3, 4, 6};
  return from_unit(skimage_gaussian(to_unit(rgb), pick(sigma, context)));
}

cv::Mat defocus_blur(const cv::Mat& rgb, const Context& context) {
  struct Params { int radius; double alias; };
  static constexpr std::array<Params, 5> table{{{3, .1}, {4, .5}, {6, .5}, {8, .5}, {10, .5}}};
  const Params c = pick(table, context);
  // imagecorruptions' disk(): an aliased float32 disk on a grid of at least -8..8, normalised,
  // then smoothed by a small Gaussian (OpenCV, as the reference calls it).
  const int half = std::max(8, c.radius);
  cv::Mat disk(2 * half + 1, 2 * half + 1, CV_32F);
  float count = 0;
  for (int y = -half; y <= half; ++y)
    for (int x = -half; x <= half; ++x) {
      const float inside = (x * x + y * y <= c.radius * c.radius) ? 1.f : 0.f;
      disk.at<float>(y + half, x + half) = inside;
      count += inside;
    }
  disk /= count;
  const int ksize = c.radius <= 8 ? 3 : 5;
  cv::Mat kernel;
  cv::GaussianBlur(disk, kernel, cv::Size(ksize, ksize), c.alias);
  // cv2.filter2D per channel on float64, as the reference does (large kernels take OpenCV's DFT
  // path, whose rounding depends on the call, so the calls are the same).
  cv::Mat out;
  cv::filter2D(to_unit(rgb), out, -1, kernel);
  return from_unit(out);
}

cv::Mat glass_blur(const cv::Mat& rgb, const Context& context) {
  struct Params { double sigma; int delta; int iterations; };
  static constexpr std::array<Params, 5> table{{{.7, 1, 2}, {.9, 2, 1}, {1, 2, 3}, {1.1, 3, 2}, {1.5, 4, 2}}};
  const Params c = pick(table, context);
  // Random, so compared by statistics: the two Gaussian filters run in float32 (SIMD-wide), a
  // change of ~1e-7 against the reference's float64.
  auto gaussian = [&](const cv::Mat& u8) {
    cv::Mat f, out;
    u8.convertTo(f, CV_32F, 1.0 / 255);
    const int radius = static_cast<int>(4.0 * c.sigma + 0.5);
    cv::GaussianBlur(f, out, cv::Size(2 * radius + 1, 2 * radius + 1), c.sigma, c.sigma, cv::BORDER_REPLICATE);
    return out;
  };
  auto to_u8 = [](const cv::Mat& f32) {
    cv::Mat out(f32.size(), CV_8UC3);
    const float* in = f32.ptr<float>();
    uint8_t* o = out.ptr<uint8_t>();
    for (size_t i = 0, n = values(f32); i < n; ++i)
      o[i] = static_cast<uint8_t>(static_cast<int>(std::min(std::max(in[i], 0.f), 1.f) * 255.f));
    return out;
  };
  cv::Mat x = to_u8(gaussian(rgb));
  // The reference's "swap" x[h,w], x[h',w'] = x[h',w'], x[h,w] on numpy views is a copy:
  // x[h,w] = x[h',w'], in this scan order, with offsets drawn from [-delta, delta).
  Rng rng = *context.rng;
  for (int it = 0; it < c.iterations; ++it)
    for (int h = x.rows - c.delta; h > c.delta; --h)
      for (int w = x.cols - c.delta; w > c.delta; --w) {
        const auto [dx, dy] = randint_pair(rng, -c.delta, c.delta);
        x.at<cv::Vec3b>(h, w) = x.at<cv::Vec3b>(h + dy, w + dx);
      }
  *context.rng = rng;
  return to_u8(gaussian(x));
}

cv::Mat motion_blur(const cv::Mat& rgb, const Context& context) {
  struct Params { int radius; double sigma; };
  static constexpr std::array<Params, 5> table{{{10, 3}, {15, 5}, {15, 8}, {15, 12}, {20, 15}}};
  const Params c = pick(table, context);
  const double angle = context.draws && context.draws->angle ? *context.draws->angle
                                                             : uniform(*context.rng, -45, 45);
  return from_255(detail::motion_blur(rgb, c.radius, c.sigma, angle));
}

cv::Mat zoom_blur(const cv::Mat& rgb, const Context& context) {
  struct Params { double stop, step; };
  static constexpr std::array<Params, 5> table{{{1.11, .01}, {1.16, .01}, {1.21, .02}, {1.26, .02}, {1.31, .03}}};
  const Params c = pick(table, context);
  // np.arange(1, stop, step): ceil((stop-1)/step) values 1 + i·delta, delta = (1 + step) - 1.
  const int n = static_cast<int>(std::ceil((c.stop - 1.0) / c.step));
  const double delta = (1.0 + c.step) - 1.0;
  cv::Mat x(rgb.size(), CV_32FC3);
  {
    const uint8_t* in = rgb.ptr<uint8_t>();
    float* p = x.ptr<float>();
    for (size_t i = 0, n = values(x); i < n; ++i) p[i] = static_cast<float>(in[i] / 255.0);
  }
  // The first factor is exactly 1, where scipy's zoom returns its input unchanged.
  cv::Mat out = x.clone();
  for (int i = 1; i < n; ++i) add_clipped_zoom(x, 1.0 + i * delta, out);
  cv::Mat result(rgb.size(), CV_8UC3);
  const float* px = x.ptr<float>();
  const float* po = out.ptr<float>();
  uint8_t* r = result.ptr<uint8_t>();
  const float count = static_cast<float>(n + 1);
  for (size_t i = 0, n = values(x); i < n; ++i) {
    const float v = (px[i] + po[i]) / count;
    r[i] = static_cast<uint8_t>(std::clamp(v, 0.f, 1.f) * 255.f);
  }
  return result;
}

}  // namespace robustlab::corruptions::detail
