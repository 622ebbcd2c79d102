// Weather and digital corruptions of ImageNet-C (Hendrycks & Dietterich, ICLR 2019) with the
// parameter tables and arithmetic of bethgelab/imagecorruptions, and the original ImageNet-C
// algorithms (hendrycks/robustness make_imagenet_c.py) for elastic_transform, snow and frost
// behind Variant::ImageNetC (reference: ../shared/reference/corruptions.md §1.2-1.4): snow, frost,
// fog (plasma fractal by diamond-square), brightness, contrast, elastic transform, pixelate,
// JPEG, spatter, saturate.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "algorithms.h"
#include "ops.h"
#include "robustlab/core/error.h"

namespace robustlab::corruptions::detail {
namespace {

bool imagenet_c(const Context& context) {
  return context.options && context.options->variant == Variant::ImageNetC;
}


// np.array(x, dtype=np.float32) / 255.
cv::Mat to_unit_float(const cv::Mat& u8) {
  cv::Mat out;
  u8.convertTo(out, CV_32F, 1.0 / 255.0);
  return out;
}

cv::Mat float_unit_to_u8(const cv::Mat& f32) {
  cv::Mat out(f32.size(), CV_8UC(f32.channels()));
  const float* in = f32.ptr<float>();
  uint8_t* o = out.ptr<uint8_t>();
  for (size_t i = 0, n = values(f32); i < n; ++i) o[i] = static_cast<uint8_t>(std::clamp(in[i], 0.f, 1.f) * 255.f);
  return out;
}

}  // namespace

// ---- snow ----------------------------------------------------------------------------------------

cv::Mat snow(const cv::Mat& rgb, const Context& context) {
  struct Params { double loc, scale, zoom, threshold; int radius; double sigma, blend; };
  static constexpr std::array<Params, 5> table{{{.1, .3, 3, .5, 10, 4, .8},
                                                {.2, .3, 2, .5, 12, 4, .7},
                                                {.55, .3, 4, .9, 12, 8, .7},
                                                {.55, .3, 4.5, .85, 12, 8, .65},
                                                {.55, .3, 2.5, .85, 12, 12, .55}}};
  const Params c = pick(table, context);
  const int h = rgb.rows, w = rgb.cols;
  cv::Mat layer(h, w, CV_64F);
  fill_normal(*context.rng, layer.ptr<double>(), layer.total(), c.loc, c.scale);
  layer = clipped_zoom(layer, c.zoom);
  for (double *p = layer.ptr<double>(), *end = p + layer.total(); p != end; ++p)
    *p = *p < c.threshold ? 0.0 : std::min(*p, 1.0);
  const double angle = uniform(*context.rng, -135, -45);
  cv::Mat flakes(h, w, CV_64F);
  if (imagenet_c(context)) {
    // The original trims the zoomed layer centrally, stores it as 8 bits and blurs that.
    const cv::Mat trimmed = layer(cv::Rect((layer.cols - w) / 2, (layer.rows - h) / 2, w, h));
    const cv::Mat blurred = detail::motion_blur(from_unit(trimmed), c.radius, c.sigma, angle);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        flakes.at<double>(y, x) = std::round(std::clamp(blurred.at<double>(y, x), 0.0, 255.0)) / 255.0;
  } else {
    // imagecorruptions blurs the whole zoomed layer, rounds to 8 bits, then crops the top left.
    const cv::Mat blurred = detail::motion_blur(layer, c.radius, c.sigma, angle);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const double v = std::round(blurred.at<double>(y, x) * 255.0);
        flakes.at<double>(y, x) = static_cast<uint8_t>(static_cast<int>(v)) / 255.0;
      }
  }
  const cv::Mat x = to_unit_float(rgb);
  cv::Mat out(rgb.size(), CV_64FC3);
  const float blend = static_cast<float>(c.blend), rest = static_cast<float>(1 - c.blend);
  for (int y = 0; y < h; ++y) {
    const float* px = x.ptr<float>(y);
    double* o = out.ptr<double>(y);
    for (int xx = 0; xx < w; ++xx) {
      const float gray = 0.299f * px[3 * xx] + 0.587f * px[3 * xx + 1] + 0.114f * px[3 * xx + 2];
      const double flake = flakes.at<double>(y, xx) + flakes.at<double>(h - 1 - y, w - 1 - xx);
      for (int ch = 0; ch < 3; ++ch) {
        const float v = px[3 * xx + ch];
        const float mixed = blend * v + rest * std::max(v, gray * 1.5f + 0.5f);
        o[3 * xx + ch] = mixed + flake;
      }
    }
  }
  return from_unit(out);
}

// ---- frost ---------------------------------------------------------------------------------------

cv::Mat frost(const cv::Mat& rgb, const Context& context) {
  struct Params { double image, frost; };
  static constexpr std::array<Params, 5> table{{{1, .4}, {.8, .6}, {.7, .7}, {.65, .7}, {.6, .75}}};
  const Params c = pick(table, context);
  const FrostTextures& textures = context.options && context.options->frost
                                      ? *context.options->frost : FrostTextures::procedural();
  const Draws* draws = context.draws;
  const int index = draws && draws->frost_index ? *draws->frost_index : randint(*context.rng, 0, 5);
  const cv::Mat& texture = textures.texture(index);
  const int h = rgb.rows, w = rgb.cols;
  // imagecorruptions rescales the texture by 1.1 times the factor that makes it cover the image;
  // the original crops it as it is (it only ever saw 224x224 images), which this keeps unless the
  // texture is too small.
  double scale = 1.0;
  if (texture.rows < h || texture.cols < w)
    scale = std::max(static_cast<double>(h) / texture.rows, static_cast<double>(w) / texture.cols);
  if (!imagenet_c(context)) scale *= 1.1;
  const cv::Mat scaled = textures.scaled(index, scale);
  const int top = draws && draws->frost_top ? *draws->frost_top : randint(*context.rng, 0, scaled.rows - h);
  const int left = draws && draws->frost_left ? *draws->frost_left : randint(*context.rng, 0, scaled.cols - w);
  if (top < 0 || left < 0 || top + h > scaled.rows || left + w > scaled.cols)
    throw InvalidArgument("frost: crop offsets outside the rescaled texture");
  cv::Mat out(rgb.size(), CV_64FC3);
  for (int y = 0; y < h; ++y) {
    const uint8_t* in = rgb.ptr<uint8_t>(y);
    const uint8_t* f = scaled.ptr<uint8_t>(top + y) + 3 * left;
    double* o = out.ptr<double>(y);
    for (int x = 0; x < w; ++x)
      for (int ch = 0; ch < 3; ++ch)  // the texture is BGR
        o[3 * x + ch] = c.image * in[3 * x + ch] + c.frost * f[3 * x + 2 - ch];
  }
  return from_255(out);
}

// ---- fog -----------------------------------------------------------------------------------------

namespace {

// Diamond-square plasma fractal as imagecorruptions' plasma_fractal: a size x size map (a power of
// two, wrapping around), random offsets wibble·U(-wibble, wibble) with wibble divided by `decay`
// at every level, normalised to [0, 1].
std::vector<double> plasma_fractal(int size, double decay, Rng& rng) {
  std::vector<double> map(static_cast<size_t>(size) * size, 0.0);
  const int mask = size - 1;  // size is a power of two: wrapping is a bit mask
  auto at = [&](int y, int x) -> double& {
    return map[static_cast<size_t>(y & mask) * size + static_cast<size_t>(x & mask)];
  };
  double wibble = 100;
  for (int step = size; step >= 2; step /= 2, wibble /= decay) {
    const int half = step / 2;
    const double amplitude = wibble * wibble;  // wibble · U(-wibble, wibble)
    auto wibbled = [&](double sum) { return sum / 4 + amplitude * (2 * uniform01(rng) - 1); };
    // squares: centre = mean of the four corners
    for (int y = 0; y < size; y += step)
      for (int x = 0; x < size; x += step)
        at(y + half, x + half) = wibbled(at(y, x) + at(y + step, x) + at(y, x + step) + at(y + step, x + step));
    // diamonds on the rows of the corners, then on the rows of the centres
    for (int y = 0; y < size; y += step)
      for (int x = 0; x < size; x += step)
        at(y, x + half) = wibbled(at(y + half, x + half) + at(y - half, x + half) + at(y, x) + at(y, x + step));
    for (int y = 0; y < size; y += step)
      for (int x = 0; x < size; x += step)
        at(y + half, x) = wibbled(at(y + half, x + half) + at(y + half, x - half) + at(y, x) + at(y + step, x));
  }
  const auto [lo, hi] = std::minmax_element(map.begin(), map.end());
  const double min = *lo, range = *hi - *lo;
  for (double& v : map) v = (v - min) / range;
  return map;
}

}  // namespace

cv::Mat fog(const cv::Mat& rgb, const Context& context) {
  struct Params { double strength, decay; };
  static constexpr std::array<Params, 5> table{{{1.5, 2}, {2, 2}, {2.5, 1.7}, {2.5, 1.5}, {3, 1.4}}};
  const Params c = pick(table, context);
  const int size = static_cast<int>(std::bit_ceil(static_cast<unsigned>(std::max(rgb.rows, rgb.cols))));
  const std::vector<double> map = plasma_fractal(size, c.decay, *context.rng);
  cv::Mat x = to_unit(rgb);
  double max_val = 0;
  cv::minMaxLoc(x.reshape(1), nullptr, &max_val);
  for (int y = 0; y < x.rows; ++y) {
    double* p = x.ptr<double>(y);
    for (int xx = 0; xx < x.cols; ++xx) {
      const double add = c.strength * map[static_cast<size_t>(y) * size + xx];
      for (int ch = 0; ch < 3; ++ch) p[3 * xx + ch] = (p[3 * xx + ch] + add) * max_val / (max_val + c.strength);
    }
  }
  return from_unit(x);
}

// ---- colour --------------------------------------------------------------------------------------

cv::Mat brightness(const cv::Mat& rgb, const Context& context) {
  static constexpr std::array<double, 5> shift{.1, .2, .3, .4, .5};
  cv::Mat x = to_unit(rgb);
  rgb_to_hsv(x);
  double* p = x.ptr<double>();
  for (size_t i = 0, n = x.total(); i < n; ++i) p[3 * i + 2] = std::clamp(p[3 * i + 2] + pick(shift, context), 0.0, 1.0);
  hsv_to_rgb(x);
  return from_unit(x);
}

cv::Mat saturate(const cv::Mat& rgb, const Context& context) {
  struct Params { double scale, shift; };
  static constexpr std::array<Params, 5> table{{{.3, 0}, {.1, 0}, {2, 0}, {5, .1}, {20, .2}}};
  const Params c = pick(table, context);
  cv::Mat x = to_unit(rgb);
  rgb_to_hsv(x);
  double* p = x.ptr<double>();
  for (size_t i = 0, n = x.total(); i < n; ++i) p[3 * i + 1] = std::clamp(p[3 * i + 1] * c.scale + c.shift, 0.0, 1.0);
  hsv_to_rgb(x);
  return from_unit(x);
}

cv::Mat contrast(const cv::Mat& rgb, const Context& context) {
  static constexpr std::array<double, 5> factor{.4, .3, .2, .1, .05};
  const double c = pick(factor, context);
  cv::Mat x = to_unit(rgb);
  double* p = x.ptr<double>();
  // np.mean over the two spatial axes: a sequential sum per channel, divided by the count.
  std::array<double, 3> mean{};
  for (size_t i = 0, n = x.total(); i < n; ++i)
    for (size_t ch = 0; ch < 3; ++ch) mean[ch] += p[3 * i + ch];
  for (double& m : mean) m /= static_cast<double>(x.total());
  for (size_t i = 0, n = x.total(); i < n; ++i)
    for (size_t ch = 0; ch < 3; ++ch) p[3 * i + ch] = (p[3 * i + ch] - mean[ch]) * c + mean[ch];
  return from_unit(x);
}

// ---- elastic transform -----------------------------------------------------------------------------

cv::Mat elastic_transform(const cv::Mat& rgb, const Context& context) {
  const int h = rgb.rows, w = rgb.cols;
  Rng& rng = *context.rng;
  cv::Mat image = to_unit_float(rgb);
  double amplitude, sigma_y, sigma_x, alpha;
  if (imagenet_c(context)) {
    // (alpha, sigma, affine range) = 244·(...) at 224 px; scaled with the image for other sizes.
    struct Params { double alpha, sigma, affine; };
    static constexpr std::array<Params, 5> table{{{2, .7, .1}, {2, .08, .2}, {.05, .01, .02},
                                                  {.07, .01, .02}, {.12, .01, .02}}};
    const Params c = pick(table, context);
    const double unit = 244.0 * std::min(h, w) / 224.0;
    const float cy = static_cast<float>(h / 2), cx = static_cast<float>(w / 2);
    const float square = static_cast<float>(std::min(h, w) / 3);
    const cv::Point2f pts1[3] = {{cx + square, cy + square}, {cx - square, cy + square}, {cx - square, cy - square}};
    cv::Point2f pts2[3];
    for (int i = 0; i < 3; ++i) {
      const float dy = static_cast<float>(uniform(rng, -c.affine * unit, c.affine * unit));
      const float dx = static_cast<float>(uniform(rng, -c.affine * unit, c.affine * unit));
      pts2[i] = {pts1[i].x + dx, pts1[i].y + dy};
    }
    cv::warpAffine(image, image, cv::getAffineTransform(pts1, pts2), image.size(), cv::INTER_LINEAR,
                   cv::BORDER_REFLECT_101);
    amplitude = 1.0;
    sigma_y = sigma_x = c.sigma * unit;
    alpha = c.alpha * unit;
  } else {
    static constexpr std::array<double, 5> alphas{250 * .05, 250 * .065, 250 * .085, 250 * .1, 250 * .12};
    amplitude = h * 0.005;
    sigma_y = 0.01 * h;
    sigma_x = 0.01 * w;
    alpha = pick(alphas, context);
  }
  auto displacement = [&] {
    cv::Mat field(h, w, CV_64F);
    double* p = field.ptr<double>();
    for (size_t i = 0, n = field.total(); i < n; ++i) p[i] = uniform(rng, -amplitude, amplitude);
    cv::Mat smooth = gaussian_reflect(field, sigma_y, sigma_x) * alpha;
    cv::Mat out;
    smooth.convertTo(out, CV_32F);
    return out;
  };
  const cv::Mat dx = displacement();
  const cv::Mat dy = displacement();
  return float_unit_to_u8(remap_reflect(image, dy, dx));
}

// ---- pixelate and JPEG -----------------------------------------------------------------------------

cv::Mat pixelate(const cv::Mat& rgb, const Context& context) {
  static constexpr std::array<double, 5> scale{.6, .5, .4, .3, .25};
  const double c = pick(scale, context);
  const cv::Mat small = pil_box_resize(rgb, std::max(1, static_cast<int>(rgb.cols * c)),
                                       std::max(1, static_cast<int>(rgb.rows * c)));
  // imagecorruptions enlarges with NEAREST, the original ImageNet-C code with BOX.
  return imagenet_c(context) ? pil_box_resize(small, rgb.cols, rgb.rows)
                             : pil_nearest_resize(small, rgb.cols, rgb.rows);
}

cv::Mat jpeg_compression(const cv::Mat& rgb, const Context& context) {
  static constexpr std::array<int, 5> quality{25, 18, 15, 10, 7};
  // libjpeg-turbo through OpenCV with 4:2:0 subsampling: bit-identical to Pillow's encoder
  // (corruptions.md §1.5).
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> buffer;
  cv::imencode(".jpg", bgr, buffer, {cv::IMWRITE_JPEG_QUALITY, pick(quality, context)});
  cv::Mat decoded = cv::imdecode(buffer, cv::IMREAD_COLOR);
  cv::cvtColor(decoded, decoded, cv::COLOR_BGR2RGB);
  return decoded;
}

// ---- spatter -------------------------------------------------------------------------------------

cv::Mat spatter(const cv::Mat& rgb, const Context& context) {
  struct Params { double loc, scale, sigma, threshold, intensity; bool mud; };
  static constexpr std::array<Params, 5> table{{{.65, .3, 4, .69, .6, false},
                                                {.65, .3, 3, .68, .6, false},
                                                {.65, .3, 2, .68, .5, false},
                                                {.65, .3, 1, .65, 1.5, true},
                                                {.67, .4, 1, .65, 1.5, true}}};
  const Params c = pick(table, context);
  const int h = rgb.rows, w = rgb.cols;
  cv::Mat liquid(h, w, CV_64F);
  fill_normal(*context.rng, liquid.ptr<double>(), liquid.total(), c.loc, c.scale);
  liquid = skimage_gaussian(liquid, c.sigma);
  for (double *p = liquid.ptr<double>(), *end = p + liquid.total(); p != end; ++p)
    if (*p < c.threshold) *p = 0.0;
  const cv::Mat x = to_unit_float(rgb);
  cv::Mat out(rgb.size(), CV_64FC3);
  if (!c.mud) {
    // Water: the outlines of the drops, as the reference builds them from OpenCV calls.
    cv::Mat level(h, w, CV_8U);
    for (int i = 0; i < h * w; ++i)
      level.ptr<uint8_t>()[i] = static_cast<uint8_t>(static_cast<int>(liquid.ptr<double>()[i] * 255) & 0xFF);
    cv::Mat edges, dist;
    cv::Canny(level, edges, 50, 150);
    cv::distanceTransform(255 - edges, dist, cv::DIST_L2, 5);
    cv::threshold(dist, dist, 20, 20, cv::THRESH_TRUNC);
    cv::blur(dist, dist, cv::Size(3, 3));
    cv::Mat dist8(h, w, CV_8U);
    for (int i = 0; i < h * w; ++i) dist8.ptr<uint8_t>()[i] = static_cast<uint8_t>(dist.ptr<float>()[i]);
    cv::equalizeHist(dist8, dist8);
    const cv::Mat ker = (cv::Mat_<double>(3, 3) << -2, -1, 0, -1, 1, 1, 0, 1, 2);
    cv::filter2D(dist8, dist8, CV_8U, ker);
    cv::blur(dist8, dist8, cv::Size(3, 3));
    cv::Mat m(h, w, CV_32F);
    float max = 0;
    for (int i = 0; i < h * w; ++i) {
      m.ptr<float>()[i] = static_cast<float>(level.ptr<uint8_t>()[i]) * dist8.ptr<uint8_t>()[i];
      max = std::max(max, m.ptr<float>()[i]);
    }
    // The reference divides by the maximum; with no drop at all that is 0/0 and its output turns
    // black (NaN cast to 0). Here no drop means no water.
    const float scale = max > 0 ? static_cast<float>(c.intensity) / max : 0.f;
    static constexpr double colour[3] = {175 / 255., 238 / 255., 238 / 255.};
    for (int i = 0; i < h * w; ++i) {
      const double amount = m.ptr<float>()[i] * scale;
      for (int ch = 0; ch < 3; ++ch)
        out.ptr<double>()[3 * i + ch] = x.ptr<float>()[3 * i + ch] + amount * colour[ch];
    }
  } else {
    // Mud: smoothed drop mask above 0.8, brown.
    cv::Mat mask(h, w, CV_64F);
    for (int i = 0; i < h * w; ++i) mask.ptr<double>()[i] = liquid.ptr<double>()[i] > c.threshold ? 1.0 : 0.0;
    mask = skimage_gaussian(mask, c.intensity);
    static constexpr double colour[3] = {63 / 255., 42 / 255., 20 / 255.};
    for (int i = 0; i < h * w; ++i) {
      double m = mask.ptr<double>()[i];
      if (m < 0.8) m = 0.0;
      for (int ch = 0; ch < 3; ++ch)
        out.ptr<double>()[3 * i + ch] = x.ptr<float>()[3 * i + ch] * (1 - m) + colour[ch] * m;
    }
  }
  return from_unit(out);
}

}  // namespace robustlab::corruptions::detail
