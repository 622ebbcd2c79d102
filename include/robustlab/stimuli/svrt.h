// The Synthetic Visual Reasoning Test (Fleuret, Li, Dubout, Wampler, Yantis and Geman, "Comparing
// machines and humans on a visual categorization test", PNAS 2011): 23 two-class problems on
// 128 × 128 black-on-white drawings of random closed curves. The shape process, the sizes and each
// problem's rule follow the paper's supplement and Fleuret's generator (svrt, vision_problem_N.cc,
// read through its pysvrt port); the code here is written anew. Funke et al. 2021
// (arXiv:2004.09406, ../shared/reference/mvh.md §5.2) split the problems, after Kim, Ricci and
// Serre 2018, into nine same-different and fourteen spatial problems.
//
// A shape is a closed curve through four anchor points, one per quadrant, inside an annulus
// hole ≤ r < radius around its centre. Each arc between anchors is refined by random midpoint
// displacement (the midpoint moves by up to a fifth of the chord, staying inside the disc) until
// consecutive points are at most 0.25 px apart in x and y; a curve that leaves the annulus is
// drawn again. The curve is turned by a random angle. It is drawn as one-pixel-wide ink, and a
// shape may be placed only where every drawn pixel is at least one pixel inside the image and
// its 3 × 3 neighbourhood is blank, so shapes never touch unless a rule makes them.
//
// Labels are the generator's: class 1 is the class its rule names (for example "the two shapes
// are the same" in problem 1), class 0 the other. The random draws are robustlab's (one stream per
// sample), so the sets follow the original distributions but are not its files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <random>
#include <vector>

#include "robustlab/stimuli/geometry.h"

namespace robustlab::stimuli {

constexpr int kSvrtSide = 128;
constexpr int kSvrtProblems = 23;

/// A shape as placed: its centre in pixels and its outline relative to the centre, after whatever
/// scaling, rotation or mirroring the problem applied.
struct SvrtShape {
  double x = 0, y = 0;
  Polyline outline;
};

struct SvrtSample {
  int problem = 1;
  int label = 0;
  std::vector<uint8_t> pixels;    ///< row-major kSvrtSide², 0 = ink, 255 = background
  std::vector<SvrtShape> shapes;  ///< in drawing order (the order each problem's description uses)
};

/// One sample of `problem` (1..23) with `label` (0 or 1).
SvrtSample make_svrt_sample(int problem, int label, std::mt19937_64& rng);

/// Problems 1, 5, 7, 15, 16, 19, 20, 21 and 22 (Funke et al.'s same-different group); the rest
/// are spatial.
bool svrt_is_same_different(int problem);

struct SvrtSetOptions {
  int problem = 1;
  int64_t samples = 1000;  ///< even: half of each class
  uint64_t seed = 0;
};

/// Writes <root>/<label>/sample_<label>_<k>.png (k = 0 .. samples/2 − 1, six digits, so that the
/// first N/2 of each class are the reference's training subset of size N) and <root>/labels.csv
/// (image, problem, label), one image at a time, atomically; images already on disk are kept, and
/// each sample comes from its own stream (seed, problem, label, k), so an interrupted run resumes
/// with the same images. Returns the number of images written now.
int64_t write_svrt_set(const std::filesystem::path& root, const SvrtSetOptions& options,
                       const std::function<void(int64_t done, int64_t total)>& progress = {});

}  // namespace robustlab::stimuli
