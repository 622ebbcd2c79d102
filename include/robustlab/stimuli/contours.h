// Closed-contour stimuli (Funke, Borowski, Stosio, Brendel, Wallis, Bethge, "Five points to check
// when comparing visual perception in humans and machines", JoV 2021, arXiv:2004.09406, §4.1; the
// generator closed_contour/stimuli_gen/linedrawing_polygon.py and add_background.py of
// bethgelab/notorious_difficulty_of_comparing_human_and_machine_perception; parameters in
// ../shared/reference/mvh.md §5.1).
//
// Each image pair shares one polygon: n vertices at random polar angles (a random partition of
// 2π) and radii U(0, 256) on a 1024-px canvas; the closed version joins the last vertex to the
// first, the open one moves the first and the last of its n + 1 points radially apart by
// ±U(40, 100) px so the path does not close. Both are redrawn until no vertex lies within 40 px
// of a segment it is not on and no two segments cross, then placed (the open one anchored on
// the closed one's third vertex) so that a 20 px margin holds. 10–25 flankers of one or two
// straight segments (U(128, 256) px each, the second turned by 45°–180°) are placed where they do
// not come within 40 px of the contour and are at least partly visible. Lines are drawn black on
// white, 10 px wide with round joints, and the canvas is shrunk 4× to 256 × 256 (line width
// 2.5 px). The grey background (contrast 0) pads by 16 px, puts the grey (118.9) wherever the
// drawing is not darker than it, and crops the centre 256 × 256 back (crop margin 1).
//
// The curvy sets (linedrawing_curvy.py) draw a radial-frequency contour instead, r(φ) = R +
// A1 sin(f1 (φ + p1)) + A2 sin(f2 (φ + p2)) (R ~ U(100, 200), or 100/200/300 for the 50/100/150 px
// sets, A ~ U(15, 45), f in 1..6), as discs of radius 5 at 500 points of φ; the open version
// leaves out an arc of π/3 at a random phase; dashed keeps the points where sin(20 φ + p) > 0.
// The dashed-flanker set adds a dashed closed contour in the opposite quadrant; the curvy-flanker
// set 1–3 open curvy contours of the same size at other places.
//
// Drawing uses OpenCV instead of PIL: lines as PIL's ImageDraw draws them (no antialiasing at
// 1024 px, a disc at every vertex), the 4× reduction as a box (area) filter where PIL's
// ANTIALIAS is Lanczos — the grey levels of line edges differ slightly, the geometry does not.
// The random draws are robustlab's (seeded per image), so the images are the reference's
// distribution, not its files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <torch/types.h>

#include "robustlab/stimuli/geometry.h"

namespace robustlab::stimuli {

/// The training distribution and the generalisation sets of the paper (reference set numbers).
enum class ContourSet {
  kTraining,            ///< set1: 3–9 vertices, line width 2.5 px, 10–25 flankers
  kLineWidth1_25,       ///< set2: 5 px at 1024
  kLineWidth4_5,        ///< set3: 18 px
  kLineWidth7_5,        ///< set8: 30 px
  kWhiteLines,          ///< set4: the training images inverted (white lines on the background)
  kBlackWhiteBlack,     ///< set5: 18 px black with a 6 px white core
  kNoFlankers,          ///< set6
  kTriangles,           ///< set10: 3 vertices
  kHexagons,            ///< set11: 6
  kNonagons,            ///< set12: 9
  kTwelveGons,          ///< set13: 12
  kAsymmetricFlankers,  ///< set24: two segments, one 32–64 px long
  kBinarised,           ///< set25: thresholded to black and white
  kCurvy,               ///< set17: radial-frequency contours, no flankers
  kCurvy50,             ///< set20: curvy, diameter 50 px
  kCurvy100,            ///< set21: 100 px
  kCurvy150,            ///< set22: 150 px
  kDashed,              ///< set18: curvy and dashed
  kDashedFlanker,       ///< set19: curvy, with a dashed closed flanker
  kCurvyFlankers,       ///< set23: curvy (50 px) among 1–3 open curvy flankers
};
/// training, line-width-1.25, line-width-4.5, line-width-7.5, white-lines, black-white-black,
/// no-flankers, 3-gons, 6-gons, 9-gons, 12-gons, asymmetric-flankers, binarised, curvy, curvy-50,
/// curvy-100, curvy-150, dashed, dashed-flanker, curvy-flankers
ContourSet parse_contour_set(const std::string& name);
std::string to_string(ContourSet set);
const std::vector<std::string>& contour_set_names();

/// The geometry of one image pair (coordinates on the 1024-px canvas): the main contour first,
/// then the flankers (shared).
struct ContourPair {
  std::vector<Polyline> open_lines, closed_lines;
  bool dots = false;  ///< the curvy sets: each point a disc of radius 5, not joined by lines
};

/// The reference's define_image for a set (number of vertices as the set says, or
/// `polygon_points`); the curvy sets ignore `polygon_points`.
ContourPair make_contour_pair(int polygon_points, ContourSet set, std::mt19937_64& rng);
/// Whether a set draws radial-frequency contours.
bool is_curvy(ContourSet set);

/// The line drawing of `lines` as the set draws it: [256, 256] uint8 (255 white); `dots` draws
/// each point as a disc (the curvy sets).
torch::Tensor draw_lines(const std::vector<Polyline>& lines, ContourSet set, bool dots = false);

/// add_background.py's contrast change of a background image: in CIE Lab (sRGB, D65, as
/// skimage's rgb2lab/lab2rgb), every pixel becomes (lab − m)·α + (1 − α)·(50, 0, 0) + α·m, m the
/// image's mean colour; back to RGB clipped to [0, 1], times 255. α = 0 gives the uniform grey of
/// contrast 0 (118.9), α = 1 the image. rgb: [3, H, W] uint8 -> [3, H, W] float64 in [0, 255].
torch::Tensor contrast_background(const torch::Tensor& rgb, double alpha);

/// The final stimulus, [3, 256, 256] uint8 RGB: the drawing where it is darker than the background
/// (for white lines: brighter), the background elsewhere. `background` is [3, 256, 256] in
/// [0, 255] (the centre of the reference's 288-px background, which the final crop keeps), or
/// undefined for the uniform grey.
torch::Tensor contour_stimulus(const std::vector<Polyline>& lines, ContourSet set, bool dots = false,
                               const torch::Tensor& background = {});

/// Geometry checks the generator guarantees (also the tests' predicates): the distance from a
/// point to a polyline, and whether two polylines come closer than `distance` or cross.
double point_to_polyline_distance(const Polyline& line, const Point& point);
bool polylines_overlap(const Polyline& a, const Polyline& b, double distance);

struct ContourSetOptions {
  ContourSet set = ContourSet::kTraining;
  int64_t repetitions = 10;  ///< each gives 7 pairs (3–9 vertices, or the set's n), 14 images
  uint64_t seed = 0;
  /// Backgrounds: an image folder (any layout; each pair draws one image, resized and
  /// centre-cropped to 288 px) with its contrast scaled by `contrast` (< 0: α ~ U(0, 1) per pair,
  /// the reference's "random" for training). Empty: the uniform grey.
  std::filesystem::path backgrounds;
  double contrast = -1;
};

/// Writes <root>/{closed,open}/<index>.png (index = 2·pair + 0 closed / 1 open, in the
/// reference's order) and <root>/labels.csv (image, polygon_points, closed), one image at a
/// time, atomically; images already on disk are kept (an interrupted run resumes). Each pair's
/// geometry comes from its own stream (seed, pair), so the set does not depend on the order of
/// writing. Returns the number of images written now.
int64_t write_contour_set(const std::filesystem::path& root, const ContourSetOptions& options,
                          const std::function<void(int64_t done, int64_t total)>& progress = {});

}  // namespace robustlab::stimuli
