// Building blocks of the corruptions, ported to reproduce the arithmetic of the libraries the
// reference (imagecorruptions) calls: Pillow's BOX and NEAREST resize, scipy.ndimage.zoom and
// map_coordinates (order 1), skimage's gaussian filter and HSV conversion, and imagecorruptions'
// own motion blur. ../shared/reference/corruptions.md §1.5 lists which OpenCV calls are exact
// stand-ins (used directly) and which are not (ported here).
#pragma once

#include <array>
#include <utility>
#include <cstdint>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "robustlab/corruptions/corruptions.h"

// Hot loops are compiled twice, for AVX2 and for baseline x86-64, and picked at load time (GCC
// function multiversioning). AVX2 without FMA keeps every rounding step of the scalar code.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define ROBUSTLAB_SIMD __attribute__((target_clones("avx2", "default")))
#else
#define ROBUSTLAB_SIMD
#endif

namespace robustlab::corruptions::detail {

// ---- random draws ----------------------------------------------------------------------------

/// Uniform in [0, 1) with 53 random bits.
inline double uniform01(Rng& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
inline double uniform(Rng& rng, double lo, double hi) { return lo + (hi - lo) * uniform01(rng); }
/// Uniform integer in [lo, hi).
int randint(Rng& rng, int lo, int hi);
/// Two uniform integers in [lo, hi) from one 64-bit draw (32 bits each).
inline std::pair<int, int> randint_pair(Rng& rng, int lo, int hi) {
  const uint64_t span = static_cast<uint64_t>(hi - lo), bits = rng();
  return {lo + static_cast<int>(((bits >> 32) * span) >> 32),
          lo + static_cast<int>(((bits & 0xFFFFFFFFULL) * span) >> 32)};
}
/// n draws from N(mean, sd²) (Marsaglia & Tsang's ziggurat, J. Stat. Softw. 5(8), 2000).
void fill_normal(Rng& rng, double* out, size_t n, double mean, double sd);

/// Poisson draws for the 256 rates lambda(v) = v/255·c of 8-bit values (inverse CDF with a
/// 1024-bucket guide table per rate, so most draws need no search; exact up to double rounding of
/// the CDF). Built once per photon count and shared (poisson_tables).
class PoissonTables {
 public:
  explicit PoissonTables(double photons);
  int draw(uint8_t value, Rng& rng) const {
    const Table& table = tables_[value];
    const double u = uniform01(rng);
    size_t k = table.guide[static_cast<size_t>(u * kGuide)];
    while (table.cdf[k] <= u) ++k;
    return static_cast<int>(k);
  }

 private:
  static constexpr int kGuide = 1024;
  struct Table {
    std::vector<double> cdf;
    std::vector<uint16_t> guide;
  };
  std::array<Table, 256> tables_;
};
/// The shared tables for `photons` (thread-safe, built on first use).
const PoissonTables& poisson_tables(double photons);

// ---- conversions ---------------------------------------------------------------------------

/// 8-bit image -> float64 with the same channels, divided by 255 (numpy's x / 255.).
cv::Mat to_unit(const cv::Mat& u8);
/// float64 image -> 8-bit: clip(v, 0, 1) · 255, truncated toward zero (np.uint8).
cv::Mat from_unit(const cv::Mat& f64);
/// The same for values laid out as `like` (an 8-bit image of the same size and channels).
cv::Mat from_unit(const std::vector<double>& values, const cv::Mat& like);
/// float64 image in 0..255 units -> 8-bit: clip(v, 0, 255), truncated.
cv::Mat from_255(const cv::Mat& f64);

// ---- filters and resampling ------------------------------------------------------------------

/// skimage.filters.gaussian(x, sigma) with its defaults (mode 'nearest', truncate 4), per channel.
cv::Mat skimage_gaussian(const cv::Mat& f64, double sigma);
/// The same with scipy's mode 'reflect' and truncate 3 and a sigma per axis (elastic_transform).
cv::Mat gaussian_reflect(const cv::Mat& f64, double sigma_y, double sigma_x);

/// Pillow's Image.resize(size, BOX) of an 8-bit image (fixed-point coefficients, horizontal pass
/// first), any channel count.
cv::Mat pil_box_resize(const cv::Mat& u8, int width, int height);
/// Pillow's Image.resize(size, NEAREST) (its affine nearest-neighbour scaler).
cv::Mat pil_nearest_resize(const cv::Mat& u8, int width, int height);

/// imagecorruptions' clipped_zoom: the centred ceil(H/z) x ceil(W/z) window of `image` (float32 or
/// float64, any channels) zoomed by z with scipy.ndimage.zoom(order=1), i.e. align-corners
/// bilinear interpolation in double. The result is round(ch·z) x round(cw·z), same type.
cv::Mat clipped_zoom(const cv::Mat& image, double zoom);
/// out += clipped_zoom(image, zoom)[:H, :W] for a float32 image (zoom_blur), without the
/// intermediate layer; the same arithmetic.
void add_clipped_zoom(const cv::Mat& image, double zoom, cv::Mat& out);

/// scipy.ndimage.map_coordinates(order=1, mode='reflect') of every channel of a float32 image at
/// (y + dy, x + dx); dy and dx are float32 HxW. Through cv::remap, whose positions are quantised to
/// 1/32 pixel (corruptions.md §1.5): used only for the random elastic_transform, whose outputs are
/// compared by their statistics.
cv::Mat remap_reflect(const cv::Mat& image, const cv::Mat& dy, const cv::Mat& dx);

/// imagecorruptions' _motion_blur: a one-sided Gaussian streak of width 2·radius+1 along `angle`
/// degrees, clamping at the borders. Input of any depth and channel count; float64 output in the
/// input's units.
cv::Mat motion_blur(const cv::Mat& image, int radius, double sigma, double angle);

/// skimage.color.rgb2hsv / hsv2rgb on float64 RGB in [0,1], in place.
void rgb_to_hsv(cv::Mat& f64);
void hsv_to_rgb(cv::Mat& f64);

}  // namespace robustlab::corruptions::detail
