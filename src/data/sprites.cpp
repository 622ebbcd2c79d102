// Sprite outlines and their rasterisation (see sprites.h).
#include "robustlab/data/sprites.h"

#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <cmath>
#include <numbers>

#include "robustlab/core/error.h"

namespace robustlab {
namespace {

using Outline = std::vector<std::pair<double, double>>;

Outline regular(int sides, double phase) {
  Outline out;
  for (int k = 0; k < sides; ++k) {
    const double t = phase + 2 * std::numbers::pi * k / sides;
    out.emplace_back(std::cos(t), std::sin(t));
  }
  return out;
}

/// A star with `points` tips at radius 1 and the notches between them at radius `inner`.
Outline star(int points, double inner) {
  Outline out;
  for (int k = 0; k < 2 * points; ++k) {
    const double t = -std::numbers::pi / 2 + std::numbers::pi * k / points;
    const double r = k % 2 ? inner : 1.0;
    out.emplace_back(r * std::cos(t), r * std::sin(t));
  }
  return out;
}

/// `spokes` arms of half-width `w` from the centre to radius 1 (a plus sign for 4).
Outline spokes(int count, double w) {
  Outline out;
  for (int k = 0; k < count; ++k) {
    const double t = -std::numbers::pi / 2 + 2 * std::numbers::pi * k / count;
    const double c = std::cos(t), s = std::sin(t), len = std::sqrt(1 - w * w);
    // Corner between this arm and the previous one, then the arm's two outer corners.
    const double tp = t - std::numbers::pi / count, inner = w / std::sin(std::numbers::pi / count);
    out.emplace_back(inner * std::cos(tp), inner * std::sin(tp));
    out.emplace_back(len * c + w * s, len * s - w * c);
    out.emplace_back(len * c - w * s, len * s + w * c);
  }
  return out;
}

Outline heart() {
  Outline out;
  double largest = 0;
  for (int k = 0; k < 256; ++k) {
    const double t = 2 * std::numbers::pi * k / 256;
    const double x = 16 * std::pow(std::sin(t), 3);
    const double y = -(13 * std::cos(t) - 5 * std::cos(2 * t) - 2 * std::cos(3 * t) - std::cos(4 * t));  // rows grow down
    out.emplace_back(x, y);
  }
  // Centre the bounding box on the origin, then scale into the unit disc.
  double x0 = 1e9, x1 = -1e9, y0 = 1e9, y1 = -1e9;
  for (const auto& [x, y] : out) {
    x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
  }
  for (auto& [x, y] : out) {
    x -= (x0 + x1) / 2;
    y -= (y0 + y1) / 2;
    largest = std::max(largest, std::hypot(x, y));
  }
  for (auto& [x, y] : out) x /= largest, y /= largest;
  return out;
}

Outline ellipse() {
  Outline out;
  for (int k = 0; k < 128; ++k) {
    const double t = 2 * std::numbers::pi * k / 128;
    out.emplace_back(std::cos(t), 0.5 * std::sin(t));
  }
  return out;
}

}  // namespace

SpriteShape parse_sprite_shape(const std::string& name) {
  for (SpriteShape s : {SpriteShape::kSquare, SpriteShape::kEllipse, SpriteShape::kHeart, SpriteShape::kTriangle,
                        SpriteShape::kStar4, SpriteShape::kSpoke4, SpriteShape::kCircle, SpriteShape::kDiamond})
    if (to_string(s) == name) return s;
  throw InvalidArgument("sprites: unknown shape '" + name +
                        "' (expected square, ellipse, heart, triangle, star4, spoke4, circle or diamond)");
}

std::string to_string(SpriteShape shape) {
  switch (shape) {
    case SpriteShape::kSquare: return "square";
    case SpriteShape::kEllipse: return "ellipse";
    case SpriteShape::kHeart: return "heart";
    case SpriteShape::kTriangle: return "triangle";
    case SpriteShape::kStar4: return "star4";
    case SpriteShape::kSpoke4: return "spoke4";
    case SpriteShape::kCircle: return "circle";
    default: return "diamond";
  }
}

const std::vector<std::pair<double, double>>& sprite_outline(SpriteShape shape) {
  static const Outline square = regular(4, std::numbers::pi / 4), triangle = regular(3, -std::numbers::pi / 2),
                       star4 = star(4, 0.4), spoke4 = spokes(4, 0.25), heart_outline = heart(),
                       ellipse_outline = ellipse(), circle = regular(96, 0), diamond = regular(4, 0);
  switch (shape) {
    case SpriteShape::kSquare: return square;
    case SpriteShape::kEllipse: return ellipse_outline;
    case SpriteShape::kHeart: return heart_outline;
    case SpriteShape::kTriangle: return triangle;
    case SpriteShape::kStar4: return star4;
    case SpriteShape::kSpoke4: return spoke4;
    case SpriteShape::kCircle: return circle;
    default: return diamond;
  }
}

torch::Tensor rasterize_sprite(SpriteShape shape, const SpritePose& pose, int64_t height, int64_t width,
                               int supersample) {
  if (height < 1 || width < 1 || supersample < 1) {
    throw InvalidArgument("rasterize_sprite: need a positive canvas and supersampling, got " + std::to_string(height) +
                          "x" + std::to_string(width) + " at " + std::to_string(supersample));
  }
  if (!std::isfinite(pose.x) || !std::isfinite(pose.y) || !(pose.size >= 0) || !std::isfinite(pose.angle) ||
      !(pose.aspect > 0 && std::isfinite(pose.aspect))) {
    throw InvalidArgument("rasterize_sprite: the pose must be finite with a non-negative size and a positive aspect");
  }
  constexpr int kShift = 8;  // sub-pixel bits of OpenCV's fillPoly
  const double s = supersample, c = std::cos(pose.angle), sn = std::sin(pose.angle);
  std::vector<cv::Point> points;
  for (const auto& [u0, v] : sprite_outline(shape)) {
    const double u = u0 * pose.aspect;
    // Counter-clockwise on screen (rows grow downwards), then to canvas pixel centres.
    const double x = pose.x + pose.size * (c * u + sn * v), y = pose.y + pose.size * (-sn * u + c * v);
    points.emplace_back(static_cast<int>(std::lround((x * s - 0.5) * (1 << kShift))),
                        static_cast<int>(std::lround((y * s - 0.5) * (1 << kShift))));
  }
  cv::Mat canvas = cv::Mat::zeros(static_cast<int>(height * supersample), static_cast<int>(width * supersample), CV_8U);
  cv::fillPoly(canvas, std::vector<std::vector<cv::Point>>{points}, cv::Scalar(1), cv::LINE_8, kShift);
  cv::Mat coverage;
  canvas.convertTo(coverage, CV_32F);
  if (supersample > 1) {
    cv::Mat small;
    cv::resize(coverage, small, cv::Size(static_cast<int>(width), static_cast<int>(height)), 0, 0, cv::INTER_AREA);
    coverage = small;
  }
  return torch::from_blob(coverage.data, {height, width}, torch::kFloat32).clone();
}

}  // namespace robustlab
