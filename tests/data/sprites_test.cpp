#include "robustlab/data/sprites.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <numbers>

#include "robustlab/core/error.h"

namespace robustlab {
namespace {

TEST(Sprites, OutlinesFitTheUnitDisc) {
  for (SpriteShape s : {SpriteShape::kSquare, SpriteShape::kEllipse, SpriteShape::kHeart, SpriteShape::kTriangle,
                        SpriteShape::kStar4, SpriteShape::kSpoke4, SpriteShape::kCircle, SpriteShape::kDiamond}) {
    double largest = 0;
    for (const auto& [x, y] : sprite_outline(s)) largest = std::max(largest, std::hypot(x, y));
    EXPECT_LE(largest, 1 + 1e-9) << to_string(s);
    EXPECT_GT(largest, 0.99) << to_string(s);
    EXPECT_EQ(parse_sprite_shape(to_string(s)), s);
  }
  EXPECT_THROW(parse_sprite_shape("hexagon"), InvalidArgument);
}

TEST(Sprites, CoverageHasTheShapesArea) {
  // A square of half-diagonal r has area 2r²; an ellipse with half-axes r, r/2 has π r²/2.
  const double r = 12;
  const torch::Tensor sq = rasterize_sprite(SpriteShape::kSquare, {32, 32, r, 0}, 64, 64, 8);
  EXPECT_NEAR(sq.sum().item<double>(), 2 * r * r, 0.02 * 2 * r * r);
  const torch::Tensor el = rasterize_sprite(SpriteShape::kEllipse, {32, 32, r, 0.3}, 64, 64, 8);
  EXPECT_NEAR(el.sum().item<double>(), std::numbers::pi * r * r / 2, 0.02 * std::numbers::pi * r * r / 2);
  EXPECT_GE(el.min().item<double>(), 0.0);
  EXPECT_LE(el.max().item<double>(), 1.0);
  // Anti-aliased edges: some pixels are partly covered.
  EXPECT_GT((el.gt(0.05).logical_and(el.lt(0.95))).sum().item<int64_t>(), 10);
}

TEST(Sprites, PoseMovesAndRotates) {
  const torch::Tensor a = rasterize_sprite(SpriteShape::kHeart, {20, 30, 8, 0}, 64, 64);
  const torch::Tensor b = rasterize_sprite(SpriteShape::kHeart, {25, 30, 8, 0}, 64, 64);
  // Moving 5 pixels right moves the centre of mass 5 pixels right.
  const torch::Tensor cols = torch::arange(64, torch::kFloat32).view({1, 64});
  const double ca = (a * cols).sum().item<double>() / a.sum().item<double>();
  const double cb = (b * cols).sum().item<double>() / b.sum().item<double>();
  EXPECT_NEAR(cb - ca, 5.0, 0.05);
  // A quarter turn of a square is the same square; of the ellipse it swaps the axes.
  const torch::Tensor s0 = rasterize_sprite(SpriteShape::kSquare, {32, 32, 10, 0}, 64, 64);
  const torch::Tensor s1 = rasterize_sprite(SpriteShape::kSquare, {32, 32, 10, std::numbers::pi / 2}, 64, 64);
  EXPECT_LT((s0 - s1).abs().max().item<double>(), 0.05);
  const torch::Tensor e0 = rasterize_sprite(SpriteShape::kEllipse, {32, 32, 10, 0}, 64, 64);
  const torch::Tensor e1 = rasterize_sprite(SpriteShape::kEllipse, {32, 32, 10, std::numbers::pi / 2}, 64, 64);
  EXPECT_LT((e0 - e1.t()).abs().max().item<double>(), 0.1);  // fillPoly's edge rule is not symmetric
  EXPECT_GT(e0.sum(0).gt(0).sum().item<int64_t>(), e0.sum(1).gt(0).sum().item<int64_t>());  // wider than tall
  EXPECT_THROW(rasterize_sprite(SpriteShape::kSquare, {0, 0, -1, 0}, 8, 8), InvalidArgument);
  EXPECT_THROW(rasterize_sprite(SpriteShape::kSquare, {0, 0, 1, 0}, 0, 8), InvalidArgument);
}

}  // namespace
}  // namespace robustlab
