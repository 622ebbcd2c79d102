// Frost textures for the frost corruption (Hendrycks & Dietterich, ICLR 2019). The five ImageNet-C
// textures cannot be shipped (their provenance is unknown, ../shared/reference/corruptions.md §2),
// so users point robustlab at their copy; without one, procedurally generated stand-ins are used:
// ice needles (random line segments branching at ±60°, a common idealisation of dendritic frost)
// over multi-octave value noise, tinted blue-white and scaled to the mean brightness of the real
// textures' crops as recovered from the reference outputs (about 190-215 of 255 per channel, blue
// brightest). They are labelled as such wherever results are stored.
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <numbers>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ops.h"
#include "robustlab/core/error.h"
#include "robustlab/corruptions/corruptions.h"

namespace robustlab::corruptions {
namespace {

constexpr const char* kFiles[5] = {"frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg"};
// Sizes (rows, cols) of the five ImageNet-C textures, so the stand-ins rescale alike.
constexpr int kSizes[5][2] = {{600, 900}, {315, 560}, {315, 560}, {350, 527}, {495, 660}};

cv::Mat procedural_texture(int rows, int cols, uint64_t seed) {
  Rng rng(seed);
  // Multi-octave value noise: coarse random grids upsampled bicubically.
  cv::Mat base = cv::Mat::zeros(rows, cols, CV_32F);
  float amplitude = 1.f;
  for (int cell = 64; cell >= 4; cell /= 2, amplitude *= 0.6f) {
    cv::Mat grid(rows / cell + 2, cols / cell + 2, CV_32F);
    for (int i = 0; i < static_cast<int>(grid.total()); ++i)
      grid.ptr<float>()[i] = static_cast<float>(detail::uniform01(rng));
    cv::Mat up;
    cv::resize(grid, up, cv::Size(grid.cols * cell, grid.rows * cell), 0, 0, cv::INTER_CUBIC);
    base += up(cv::Rect(0, 0, cols, rows)) * amplitude;
  }
  cv::normalize(base, base, 0, 1, cv::NORM_MINMAX);
  // Ice needles: straight segments with side branches at ±60 degrees.
  cv::Mat needles = cv::Mat::zeros(rows, cols, CV_32F);
  const int count = rows * cols / 600;
  for (int n = 0; n < count; ++n) {
    const cv::Point2d start(detail::uniform(rng, 0, cols), detail::uniform(rng, 0, rows));
    const double angle = detail::uniform(rng, 0, 2 * std::numbers::pi);
    const double length = detail::uniform(rng, 8, 40);
    const float brightness = static_cast<float>(detail::uniform(rng, 0.3, 1.0));
    const cv::Point2d dir(std::cos(angle), std::sin(angle));
    cv::line(needles, start, start + dir * length, brightness, 1, cv::LINE_AA);
    for (double t = 0.25; t < 1.0; t += 0.25)
      for (double side : {-1.0, 1.0}) {
        const double a = angle + side * std::numbers::pi / 3;
        const cv::Point2d from = start + dir * (length * t);
        cv::line(needles, from, from + cv::Point2d(std::cos(a), std::sin(a)) * (length * 0.3),
                 brightness * 0.7f, 1, cv::LINE_AA);
      }
  }
  cv::GaussianBlur(needles, needles, cv::Size(3, 3), 0.6);
  cv::Mat luminance = 0.55f * base + 0.6f * needles;
  cv::Mat texture(rows, cols, CV_8UC3);
  // Blue-white tint; channel means about (R, G, B) = (190, 200, 212) like the real textures.
  const float gain[3] = {212.f, 200.f, 190.f};  // B, G, R
  const float offset[3] = {40.f, 30.f, 20.f};
  cv::Scalar mean = cv::mean(luminance);
  for (int i = 0; i < rows * cols; ++i) {
    const float l = luminance.ptr<float>()[i] / static_cast<float>(mean[0]);
    for (int ch = 0; ch < 3; ++ch)
      texture.ptr<uint8_t>()[3 * i + ch] =
          cv::saturate_cast<uint8_t>(offset[ch] + (gain[ch] - offset[ch]) * l);
  }
  return texture;
}

}  // namespace

struct FrostTextures::Shared {
  std::vector<cv::Mat> images;
  std::mutex mutex;
  std::map<std::pair<int, double>, cv::Mat> cache;
};

const cv::Mat& FrostTextures::texture(int i) const { return textures_->images.at(static_cast<size_t>(i)); }

cv::Mat FrostTextures::scaled(int i, double scale) const {
  const cv::Mat& image = texture(i);
  if (scale == 1.0) return image;
  std::lock_guard lock(textures_->mutex);
  cv::Mat& cached = textures_->cache[{i, scale}];
  if (cached.empty()) {
    const cv::Size size(static_cast<int>(std::ceil(image.cols * scale)), static_cast<int>(std::ceil(image.rows * scale)));
    cv::resize(image, cached, size, 0, 0, cv::INTER_CUBIC);
  }
  return cached;
}

FrostTextures FrostTextures::from_directory(const std::filesystem::path& dir) {
  FrostTextures t;
  t.textures_ = std::make_shared<Shared>();
  for (const char* file : kFiles) {
    const std::filesystem::path path = dir / file;
    if (!std::filesystem::exists(path))
      throw IoError("frost texture not found: " + path.string() +
                    " (the directory must hold frost1.png .. frost5.jpg from ImageNet-C)");
    cv::Mat image = cv::imread(path.string(), cv::IMREAD_COLOR);
    if (image.empty()) throw FormatError("cannot decode frost texture " + path.string());
    t.textures_->images.push_back(std::move(image));
  }
  t.description_ = "imagenet-c textures from " + dir.string();
  return t;
}

const FrostTextures& FrostTextures::procedural() {
  static const FrostTextures textures = [] {
    FrostTextures t;
    t.textures_ = std::make_shared<Shared>();
    for (int i = 0; i < 5; ++i) t.textures_->images.push_back(procedural_texture(kSizes[i][0], kSizes[i][1], 7000 + i));
    t.procedural_ = true;
    t.description_ = "procedural (not the ImageNet-C textures)";
    return t;
  }();
  return textures;
}

FrostTextures FrostTextures::resolve(const std::optional<std::filesystem::path>& dir) {
  if (dir) return from_directory(*dir);
  if (const char* env = std::getenv("ROBUSTLAB_FROST_DIR"); env && *env) return from_directory(env);
  return procedural();
}

}  // namespace robustlab::corruptions
