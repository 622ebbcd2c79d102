// The sprite rasteriser shared by every procedural image source: dSprites and natural sprites
// (representation: Matthey et al. 2017, the dSprites dataset; Klindt et al. 2021), the VMDS-style
// videos (objects: Weis et al. 2021) and, where they need filled shapes, the contour stimuli.
//
// A sprite is a closed polygon in its own frame (unit size: every vertex within radius 1 of the
// origin), placed by a pose: centre (x = column, y = row, in pixels, y downwards), size (the
// radius, in pixels) and angle (radians, counter-clockwise on screen). Rasterisation is exact
// polygon filling on a canvas `supersample` times finer (OpenCV's fillPoly with sub-pixel vertex
// precision) averaged down by area, so each pixel holds the fraction of its area the shape
// covers (anti-aliasing); thresholding at 0.5 gives dSprites-style binary images.
#pragma once

#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

namespace robustlab {

/// dSprites' three shapes, spriteworld's four that Natural Sprites draws, and the circle and
/// diamond of Sprites-MOT.
enum class SpriteShape { kSquare, kEllipse, kHeart, kTriangle, kStar4, kSpoke4, kCircle, kDiamond };
/// square, ellipse, heart, triangle, star4, spoke4, circle, diamond
SpriteShape parse_sprite_shape(const std::string& name);
std::string to_string(SpriteShape shape);

/// The unit outline of a shape: vertices in order, every one within radius 1. The square is
/// axis-aligned at angle 0 (half side 1/√2); the ellipse has half-axes 1 and 1/2 (aspect 2:1);
/// the heart is the classic parametric curve x = 16 sin³t, y = 13 cos t − 5 cos 2t − 2 cos 3t −
/// cos 4t, scaled into the unit disc, point up; the others as spriteworld draws them.
const std::vector<std::pair<double, double>>& sprite_outline(SpriteShape shape);

struct SpritePose {
  double x = 0, y = 0;  ///< centre, pixels (column, row)
  double size = 1;      ///< radius of the unit outline, pixels
  double angle = 0;     ///< radians
  double aspect = 1;    ///< width / height of the outline before rotation
};

/// Coverage [height, width] float32 in [0, 1] of one sprite. supersample >= 1.
torch::Tensor rasterize_sprite(SpriteShape shape, const SpritePose& pose, int64_t height, int64_t width,
                               int supersample = 4);

}  // namespace robustlab
