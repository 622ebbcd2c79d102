// Building blocks of the corruptions. Sources of the arithmetic each function reproduces:
// - ziggurat normal draws: Marsaglia & Tsang, "The Ziggurat Method for Generating Random
//   Variables", J. Stat. Softw. 5(8), 2000 (128 layers, r = 3.442619855899);
// - Pillow 9.4 src/libImaging/Resample.c (precompute_coeffs, normalize_coeffs_8bpc, 22-bit
//   fixed point) and Geometry.c (ImagingScaleAffine, the NEAREST path of Image.resize);
// - scipy 1.10 ndimage zoom/map_coordinates, order 1 (align-corners grid, weights 1-t and
//   1-(1-t), products taken axis by axis);
// - skimage 0.19 color.rgb2hsv/hsv2rgb and filters.gaussian (= cv::GaussianBlur on float64 with
//   ksize 2·int(4σ+0.5)+1 and replicated borders, measured identical in corruptions.md §1.5);
// - imagecorruptions' _motion_blur and shift (np.roll plus edge replication = clamping).
#include "ops.h"

#include "algorithms.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <numbers>

#include <opencv2/imgproc.hpp>

namespace robustlab::corruptions::detail {

// ---- random draws ----------------------------------------------------------------------------

int randint(Rng& rng, int lo, int hi) {
  const uint64_t span = static_cast<uint64_t>(hi - lo);
  return lo + static_cast<int>(((rng() >> 32) * span) >> 32);
}

namespace {

constexpr int kLayers = 128;
constexpr double kTail = 3.442619855899;        // r: start of the tail
constexpr double kArea = 9.91256303526217e-3;   // area of each layer

struct Ziggurat {
  std::array<double, kLayers + 1> x{};  // layer edges, x[0] = V/f(r) > r, x[128] = 0
  std::array<double, kLayers + 1> f{};  // f(x[i]) = exp(-x²/2)
  Ziggurat() {
    x[0] = kArea / std::exp(-0.5 * kTail * kTail);
    x[1] = kTail;
    for (int i = 1; i < kLayers - 1; ++i)
      x[i + 1] = std::sqrt(-2.0 * std::log(kArea / x[i] + std::exp(-0.5 * x[i] * x[i])));
    x[kLayers] = 0.0;
    for (int i = 0; i <= kLayers; ++i) f[i] = std::exp(-0.5 * x[i] * x[i]);
  }
};

const Ziggurat& ziggurat() {
  static const Ziggurat table;
  return table;
}

double standard_normal(Rng& rng, const Ziggurat& z) {
  for (;;) {
    const uint64_t bits = rng();
    const int layer = static_cast<int>(bits & (kLayers - 1));
    static constexpr double kSigns[2] = {1.0, -1.0};  // indexed, not branched: the sign is a coin flip
    const double sign = kSigns[(bits >> 7) & 1];
    const double u = static_cast<double>(bits >> 11) * 0x1.0p-53;
    const double value = u * z.x[layer];
    if (value < z.x[layer + 1]) return sign * value;
    if (layer == 0) {  // the tail beyond r
      double a, b;
      do {
        a = -std::log(1.0 - uniform01(rng)) / kTail;
        b = -std::log(1.0 - uniform01(rng));
      } while (2.0 * b <= a * a);
      return sign * (kTail + a);
    }
    const double y = z.f[layer] + uniform01(rng) * (z.f[layer + 1] - z.f[layer]);
    if (y < std::exp(-0.5 * value * value)) return sign * value;
  }
}

}  // namespace

void fill_normal(Rng& rng, double* out, size_t n, double mean, double sd) {
  const Ziggurat& z = ziggurat();
  Rng local = rng;  // a local copy stays in registers (stores to `out` cannot alias it)
  for (size_t i = 0; i < n; ++i) out[i] = mean + sd * standard_normal(local, z);
  rng = local;
}

PoissonTables::PoissonTables(double photons) {
  for (int value = 0; value < 256; ++value) {
    Table& table = tables_[static_cast<size_t>(value)];
    const double lambda = value / 255.0 * photons;
    double p = std::exp(-lambda), cdf = p;
    table.cdf.push_back(cdf);
    // Up to the point where the remaining probability is below double precision.
    for (int k = 1; k <= lambda || p > 1e-17; ++k) {
      p *= lambda / k;
      cdf += p;
      table.cdf.push_back(cdf);
    }
    table.cdf.back() = 2.0;  // every u < 1 ends here
    table.guide.resize(kGuide);
    size_t k = 0;
    for (int j = 0; j < kGuide; ++j) {
      const double level = static_cast<double>(j) / kGuide;
      while (table.cdf[k] <= level) ++k;
      table.guide[static_cast<size_t>(j)] = static_cast<uint16_t>(k);
    }
  }
}

const PoissonTables& poisson_tables(double photons) {
  static std::mutex mutex;
  static std::map<double, std::unique_ptr<PoissonTables>> cache;
  std::lock_guard lock(mutex);
  auto& tables = cache[photons];
  if (!tables) tables = std::make_unique<PoissonTables>(photons);
  return *tables;
}

// ---- conversions ---------------------------------------------------------------------------

ROBUSTLAB_SIMD cv::Mat to_unit(const cv::Mat& u8) {
  cv::Mat out(u8.size(), CV_64FC(u8.channels()));
  const uint8_t* in = u8.ptr<uint8_t>();
  double* o = out.ptr<double>();
  const size_t n = u8.total() * static_cast<size_t>(u8.channels());
  for (size_t i = 0; i < n; ++i) o[i] = in[i] / 255.0;
  return out;
}

namespace {

// out[i] = trunc(clip(in[i], 0, high) · scale), in blocks of 8 so that the compiler vectorises
// both the double -> int32 conversion and the narrowing to bytes.
ROBUSTLAB_SIMD void truncate_to_u8(const double* in, size_t n, double high, double scale, uint8_t* out) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    int32_t block[8];
    for (int k = 0; k < 8; ++k) block[k] = static_cast<int32_t>(std::min(std::max(in[i + k], 0.0), high) * scale);
    for (int k = 0; k < 8; ++k) out[i + k] = static_cast<uint8_t>(block[k]);
  }
  for (; i < n; ++i) out[i] = static_cast<uint8_t>(static_cast<int32_t>(std::min(std::max(in[i], 0.0), high) * scale));
}

}  // namespace

cv::Mat from_unit(const cv::Mat& f64) {
  cv::Mat out(f64.size(), CV_8UC(f64.channels()));
  truncate_to_u8(f64.ptr<double>(), values(f64), 1.0, 255.0, out.ptr<uint8_t>());  // np.uint8 truncates
  return out;
}

cv::Mat from_unit(const std::vector<double>& values, const cv::Mat& like) {
  cv::Mat out(like.size(), CV_8UC(like.channels()));
  truncate_to_u8(values.data(), values.size(), 1.0, 255.0, out.ptr<uint8_t>());
  return out;
}

cv::Mat from_255(const cv::Mat& f64) {
  cv::Mat out(f64.size(), CV_8UC(f64.channels()));
  truncate_to_u8(f64.ptr<double>(), values(f64), 255.0, 1.0, out.ptr<uint8_t>());
  return out;
}

// ---- filters ---------------------------------------------------------------------------------

cv::Mat skimage_gaussian(const cv::Mat& f64, double sigma) {
  const int radius = static_cast<int>(4.0 * sigma + 0.5);
  cv::Mat out;
  cv::GaussianBlur(f64, out, cv::Size(2 * radius + 1, 2 * radius + 1), sigma, sigma,
                   cv::BORDER_REPLICATE);
  return out;
}

cv::Mat gaussian_reflect(const cv::Mat& f64, double sigma_y, double sigma_x) {
  const int ry = static_cast<int>(3.0 * sigma_y + 0.5), rx = static_cast<int>(3.0 * sigma_x + 0.5);
  cv::Mat out;
  cv::GaussianBlur(f64, out, cv::Size(2 * rx + 1, 2 * ry + 1), sigma_x, sigma_y, cv::BORDER_REFLECT);
  return out;
}

// ---- Pillow resampling -------------------------------------------------------------------------

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

struct BoxCoefficients {
  int ksize = 0;
  std::vector<int> bounds;  // per output: first input index, count
  std::vector<int> k;       // per output: ksize fixed-point weights
};

// precompute_coeffs with the box filter (support 0.5), then normalize_coeffs_8bpc.
BoxCoefficients box_coefficients(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = 0.5 * filterscale;
  BoxCoefficients c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.bounds.resize(static_cast<size_t>(out_size) * 2);
  c.k.assign(static_cast<size_t>(out_size) * static_cast<size_t>(c.ksize), 0);
  std::vector<double> w(static_cast<size_t>(c.ksize));
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
    const int xmax = std::min(static_cast<int>(center + support + 0.5), in_size) - xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double arg = (x + xmin - center + 0.5) * ss;
      w[static_cast<size_t>(x)] = (arg > -0.5 && arg <= 0.5) ? 1.0 : 0.0;
      ww += w[static_cast<size_t>(x)];
    }
    for (int x = 0; x < xmax; ++x) {
      double v = ww != 0.0 ? w[static_cast<size_t>(x)] / ww : w[static_cast<size_t>(x)];
      v *= (1 << kPrecisionBits);
      c.k[static_cast<size_t>(xx * c.ksize + x)] = static_cast<int>(v < 0 ? -0.5 + v : 0.5 + v);
    }
    c.bounds[static_cast<size_t>(2 * xx)] = xmin;
    c.bounds[static_cast<size_t>(2 * xx + 1)] = xmax;
  }
  return c;
}

uint8_t clip8(int v) {
  if (v >= (1 << kPrecisionBits << 8)) return 255;
  if (v <= 0) return 0;
  return static_cast<uint8_t>(v >> kPrecisionBits);
}

}  // namespace

cv::Mat pil_box_resize(const cv::Mat& u8, int width, int height) {
  const int channels = u8.channels();
  // Horizontal pass on every row, then vertical (Pillow skips a pass whose size does not change).
  cv::Mat horizontal = u8;
  if (width != u8.cols) {
    const BoxCoefficients c = box_coefficients(u8.cols, width);
    horizontal.create(u8.rows, width, u8.type());
    for (int y = 0; y < u8.rows; ++y) {
      const uint8_t* in = u8.ptr<uint8_t>(y);
      uint8_t* out = horizontal.ptr<uint8_t>(y);
      for (int xx = 0; xx < width; ++xx) {
        const int xmin = c.bounds[static_cast<size_t>(2 * xx)];
        const int xmax = c.bounds[static_cast<size_t>(2 * xx + 1)];
        const int* k = &c.k[static_cast<size_t>(xx * c.ksize)];
        for (int ch = 0; ch < channels; ++ch) {
          int ss = 1 << (kPrecisionBits - 1);
          for (int x = 0; x < xmax; ++x) ss += in[(x + xmin) * channels + ch] * k[x];
          out[xx * channels + ch] = clip8(ss);
        }
      }
    }
  }
  if (height == horizontal.rows) return horizontal.clone();
  const BoxCoefficients c = box_coefficients(horizontal.rows, height);
  cv::Mat out(height, horizontal.cols, horizontal.type());
  const int row = horizontal.cols * channels;
  std::vector<int> sums(static_cast<size_t>(row));
  for (int yy = 0; yy < height; ++yy) {
    const int ymin = c.bounds[static_cast<size_t>(2 * yy)];
    const int ymax = c.bounds[static_cast<size_t>(2 * yy + 1)];
    const int* k = &c.k[static_cast<size_t>(yy * c.ksize)];
    std::fill(sums.begin(), sums.end(), 1 << (kPrecisionBits - 1));
    for (int y = 0; y < ymax; ++y) {
      const uint8_t* in = horizontal.ptr<uint8_t>(y + ymin);
      for (int i = 0; i < row; ++i) sums[static_cast<size_t>(i)] += in[i] * k[y];
    }
    uint8_t* o = out.ptr<uint8_t>(yy);
    for (int i = 0; i < row; ++i) o[i] = clip8(sums[static_cast<size_t>(i)]);
  }
  return out;
}

cv::Mat pil_nearest_resize(const cv::Mat& u8, int width, int height) {
  const int channels = u8.channels();
  const double ax = static_cast<double>(u8.cols) / width, ay = static_cast<double>(u8.rows) / height;
  auto coord = [](double v) { return v < 0.0 ? -1 : static_cast<int>(v); };
  // Positions are accumulated by repeated addition, exactly as Pillow does.
  std::vector<int> xin(static_cast<size_t>(width));
  double xo = ax * 0.5;
  for (int x = 0; x < width; ++x, xo += ax) xin[static_cast<size_t>(x)] = std::clamp(coord(xo), 0, u8.cols - 1);
  cv::Mat out(height, width, u8.type());
  double yo = ay * 0.5;
  int previous = -1;
  for (int y = 0; y < height; ++y, yo += ay) {
    const int yin = std::clamp(coord(yo), 0, u8.rows - 1);
    uint8_t* o = out.ptr<uint8_t>(y);
    if (yin == previous) {  // the same source row as the row above
      std::memcpy(o, out.ptr<uint8_t>(y - 1), static_cast<size_t>(width) * channels);
      continue;
    }
    previous = yin;
    const uint8_t* in = u8.ptr<uint8_t>(yin);
    for (int x = 0; x < width; ++x)
      std::memcpy(o + x * channels, in + xin[static_cast<size_t>(x)] * channels, static_cast<size_t>(channels));
  }
  return out;
}

// ---- scipy interpolation ---------------------------------------------------------------------

namespace {

// Python's round() for the output size: half to even.
int round_half_even(double v) { return static_cast<int>(std::nearbyint(v)); }

struct Tap {
  int i0, i1;
  double w0, w1;
};

// scipy order-1 taps for output positions 0..out_n-1 over an input of in_n samples.
std::vector<Tap> zoom_taps(int in_n, int out_n) {
  const double zoom = out_n > 1 ? static_cast<double>(in_n - 1) / (out_n - 1) : 1.0;
  std::vector<Tap> taps(static_cast<size_t>(out_n));
  for (int k = 0; k < out_n; ++k) {
    const double cc = k * zoom;
    const int start = static_cast<int>(std::floor(cc));
    const double t = cc - start;
    Tap& tap = taps[static_cast<size_t>(k)];
    tap.w0 = 1.0 - t;
    tap.w1 = 1.0 - tap.w0;
    tap.i0 = std::min(start, in_n - 1);
    tap.i1 = start + 1 < in_n ? start + 1 : -1;  // outside: constant 0 (weight ~0)
  }
  return taps;
}

template <typename T>
void zoom_into(const cv::Mat& crop, cv::Mat& out, const std::vector<Tap>& ty, const std::vector<Tap>& tx) {
  const int channels = crop.channels();
  for (int oy = 0; oy < out.rows; ++oy) {
    const Tap& y = ty[static_cast<size_t>(oy)];
    const T* r0 = crop.ptr<T>(y.i0);
    const T* r1 = y.i1 >= 0 ? crop.ptr<T>(y.i1) : nullptr;
    T* o = out.ptr<T>(oy);
    for (int ox = 0; ox < out.cols; ++ox) {
      const Tap& x = tx[static_cast<size_t>(ox)];
      for (int c = 0; c < channels; ++c) {
        double t = static_cast<double>(r0[x.i0 * channels + c]) * y.w0 * x.w0;
        if (x.i1 >= 0) t += static_cast<double>(r0[x.i1 * channels + c]) * y.w0 * x.w1;
        if (r1) {
          t += static_cast<double>(r1[x.i0 * channels + c]) * y.w1 * x.w0;
          if (x.i1 >= 0) t += static_cast<double>(r1[x.i1 * channels + c]) * y.w1 * x.w1;
        }
        o[ox * channels + c] = static_cast<T>(t);
      }
    }
  }
}

}  // namespace

cv::Mat clipped_zoom(const cv::Mat& image, double zoom) {
  const int ch = static_cast<int>(std::ceil(image.rows / zoom));
  const int cw = static_cast<int>(std::ceil(image.cols / zoom));
  const int top = (image.rows - ch) / 2, left = (image.cols - cw) / 2;
  const cv::Mat crop = image(cv::Rect(left, top, cw, ch));
  const int out_h = round_half_even(ch * zoom), out_w = round_half_even(cw * zoom);
  cv::Mat out(out_h, out_w, image.type());
  const auto ty = zoom_taps(ch, out_h), tx = zoom_taps(cw, out_w);
  if (image.depth() == CV_32F)
    zoom_into<float>(crop, out, ty, tx);
  else
    zoom_into<double>(crop, out, ty, tx);
  return out;
}

// Rows are premultiplied by their y weight ((value · wy) · wx is scipy's product order, so the
// result is the same to the bit); neighbours outside the input contribute nothing, as in scipy's
// constant mode, and only the last row and column can have one.
ROBUSTLAB_SIMD void add_clipped_zoom(const cv::Mat& image, double zoom, cv::Mat& out) {
  const int ch = static_cast<int>(std::ceil(image.rows / zoom));
  const int cw = static_cast<int>(std::ceil(image.cols / zoom));
  const int top = (image.rows - ch) / 2, left = (image.cols - cw) / 2;
  const cv::Mat crop = image(cv::Rect(left, top, cw, ch));
  const auto ty = zoom_taps(ch, round_half_even(ch * zoom)), tx = zoom_taps(cw, round_half_even(cw * zoom));
  const int rows = out.rows, cols = out.cols;  // only the top-left H x W part is kept
  int inner = cols;  // columns whose right neighbour exists
  while (inner > 0 && tx[static_cast<size_t>(inner - 1)].i1 < 0) --inner;
  const size_t n = static_cast<size_t>(cw) * 3;
  std::vector<double> upper(n), lower(n, 0.0);
  for (int oy = 0; oy < rows; ++oy) {
    const Tap& y = ty[static_cast<size_t>(oy)];
    const float* r0 = crop.ptr<float>(y.i0);
    for (size_t j = 0; j < n; ++j) upper[j] = static_cast<double>(r0[j]) * y.w0;
    if (y.i1 >= 0) {
      const float* r1 = crop.ptr<float>(y.i1);
      for (size_t j = 0; j < n; ++j) lower[j] = static_cast<double>(r1[j]) * y.w1;
    } else {
      std::fill(lower.begin(), lower.end(), 0.0);  // exact zeros, as scipy's constant 0
    }
    const double* a = upper.data();
    const double* b = lower.data();
    float* o = out.ptr<float>(oy);
    for (int ox = 0; ox < inner; ++ox) {
      const Tap& x = tx[static_cast<size_t>(ox)];
      const double* a0 = a + 3 * x.i0; const double* a1 = a + 3 * x.i1;
      const double* b0 = b + 3 * x.i0; const double* b1 = b + 3 * x.i1;
      for (int k = 0; k < 3; ++k)
        o[3 * ox + k] += static_cast<float>(a0[k] * x.w0 + a1[k] * x.w1 + b0[k] * x.w0 + b1[k] * x.w1);
    }
    for (int ox = inner; ox < cols; ++ox) {
      const Tap& x = tx[static_cast<size_t>(ox)];
      for (int k = 0; k < 3; ++k)
        o[3 * ox + k] += static_cast<float>(a[3 * x.i0 + k] * x.w0 + b[3 * x.i0 + k] * x.w0);
    }
  }
}

cv::Mat remap_reflect(const cv::Mat& image, const cv::Mat& dy, const cv::Mat& dx) {
  cv::Mat map_x(image.size(), CV_32F), map_y(image.size(), CV_32F);
  for (int y = 0; y < image.rows; ++y) {
    const float *py = dy.ptr<float>(y), *px = dx.ptr<float>(y);
    float *my = map_y.ptr<float>(y), *mx = map_x.ptr<float>(y);
    for (int x = 0; x < image.cols; ++x) {
      my[x] = static_cast<float>(y) + py[x];
      mx[x] = static_cast<float>(x) + px[x];
    }
  }
  cv::Mat out;
  cv::remap(image, out, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_REFLECT);
  return out;
}

// ---- motion blur ---------------------------------------------------------------------------------

namespace {

// numpy's pairwise summation for fewer than 128 float64 values (8 interleaved partial sums).
double numpy_sum(const std::vector<double>& v) {
  const size_t n = v.size();
  if (n < 8) {
    double s = 0.0;
    for (double x : v) s += x;
    return s;
  }
  std::array<double, 8> r{};
  for (size_t j = 0; j < 8; ++j) r[j] = v[j];
  size_t i = 8;
  for (; i + 8 <= n; i += 8)
    for (size_t j = 0; j < 8; ++j) r[j] += v[i + j];
  double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
  for (; i < n; ++i) s += v[i];
  return s;
}

// out(y, ·) += k · in(clamp(y - dy), clamp(· - dx)) for one row.
ROBUSTLAB_SIMD void accumulate_row(const double* src, double* out, int w, int c, double k, int dx) {
  const int x_lo = std::clamp(dx, 0, w), x_hi = std::clamp(w + dx, 0, w);
  for (int x = 0; x < x_lo; ++x)
    for (int ch = 0; ch < c; ++ch) out[x * c + ch] += k * src[ch];
  const double* s = src + (x_lo - dx) * c;
  double* d = out + x_lo * c;
  const int n = (x_hi - x_lo) * c;
  for (int i = 0; i < n; ++i) d[i] += k * s[i];
  for (int x = x_hi; x < w; ++x)
    for (int ch = 0; ch < c; ++ch) out[x * c + ch] += k * src[(w - 1) * c + ch];
}

}  // namespace

cv::Mat motion_blur(const cv::Mat& image, int radius, double sigma, double angle) {
  const int width = 2 * radius + 1;
  std::vector<double> kernel(static_cast<size_t>(width));
  for (int i = 0; i < width; ++i)
    kernel[static_cast<size_t>(i)] =
        std::exp(-static_cast<double>(i * i) / (2 * (sigma * sigma))) / (std::sqrt(2 * std::numbers::pi) * sigma);
  const double z = numpy_sum(kernel);
  for (double& k : kernel) k /= z;
  const double rad = angle * (std::numbers::pi / 180.0);
  const double py = width * std::sin(rad), px = width * std::cos(rad);
  const double hypot = std::hypot(py, px);
  std::vector<std::pair<int, int>> shifts;  // (dy, dx) per tap, until the streak leaves the image
  for (int i = 0; i < width; ++i) {
    const int dy = -static_cast<int>(std::ceil((i * py) / hypot - 0.5));
    const int dx = -static_cast<int>(std::ceil((i * px) / hypot - 0.5));
    if (std::abs(dy) >= image.rows || std::abs(dx) >= image.cols) break;
    shifts.emplace_back(dy, dx);
  }
  cv::Mat input;
  image.convertTo(input, CV_64F);  // exact for 8-bit, float and double values
  cv::Mat acc = cv::Mat::zeros(image.size(), CV_64FC(image.channels()));
  // Row by row, taps in order: the same sums as the reference's whole-image passes, in cache.
  for (int y = 0; y < image.rows; ++y)
    for (size_t i = 0; i < shifts.size(); ++i) {
      const auto [dy, dx] = shifts[i];
      accumulate_row(input.ptr<double>(std::clamp(y - dy, 0, image.rows - 1)), acc.ptr<double>(y), image.cols,
                     image.channels(), kernel[i], dx);
    }
  return acc;
}

// ---- HSV (skimage) -----------------------------------------------------------------------------

void rgb_to_hsv(cv::Mat& f64) {
  double* p = f64.ptr<double>();
  const size_t n = f64.total();
  for (size_t i = 0; i < n; ++i, p += 3) {
    const double r = p[0], g = p[1], b = p[2];
    const double v = std::max({r, g, b});
    const double delta = v - std::min({r, g, b});
    double s = delta / v;
    double h = 0.0;
    // Later assignments win, as in skimage: blue over green over red when maxima tie.
    if (r == v) h = (g - b) / delta;
    if (g == v) h = 2.0 + (b - r) / delta;
    if (b == v) h = 4.0 + (r - g) / delta;
    // (h / 6) % 1 as numpy computes it; h / 6 lies in [-1/6, 5/6], where fmod is the identity
    // and the result takes the sign of the divisor.
    h = h / 6.0;
    if (h < 0) h += 1.0;
    if (delta == 0.0) {
      s = 0.0;
      h = 0.0;
    }
    if (std::isnan(s)) s = 0.0;
    if (std::isnan(h)) h = 0.0;
    p[0] = h;
    p[1] = s;
    p[2] = v;
  }
}

void hsv_to_rgb(cv::Mat& f64) {
  double* p = f64.ptr<double>();
  const size_t n = f64.total();
  for (size_t i = 0; i < n; ++i, p += 3) {
    const double h = p[0], s = p[1], v = p[2];
    const double hi = std::floor(h * 6);
    const double f = h * 6 - hi;
    const double pp = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
    // All six candidates, selected by index (no unpredictable branch; the same values).
    const double candidates[6][3] = {{v, t, pp}, {q, v, pp}, {pp, v, t}, {pp, q, v}, {t, pp, v}, {v, pp, q}};
    const double* rgb = candidates[static_cast<int>(static_cast<uint8_t>(hi)) % 6];
    p[0] = rgb[0];
    p[1] = rgb[1];
    p[2] = rgb[2];
  }
}

}  // namespace robustlab::corruptions::detail
