// The data of the SlowVAE study (Klindt et al. 2021, "Towards Nonlinear Disentanglement in
// Natural Data with Temporal Sparse Coding", arXiv:2007.10930; code bethgelab/slow_disentanglement,
// ../shared/reference/replearn.md §2.3):
//
// - Procedural dSprites (Matthey et al. 2017): 3 shapes (square, ellipse, heart) × 6 scales
//   (0.5 … 1.0) × 40 orientations (linspace(0, 2π, 40), both endpoints, so 0 and 2π give the same
//   image, as in the original) × 32 × 32 positions (linspace(0, 1, 32)), 64 × 64 binary images,
//   737,280 in all, in the original's index order ((((shape·6 + scale)·40 + orientation)·32 +
//   x)·32 + y; posY fastest). The original's LÖVE renderings are not public; these are drawn
//   with the sprite rasteriser (5× supersampling, threshold 0.5): radius 10·scale pixels, centre
//   11 + 42·pos pixels, so the largest rotated sprite stays inside the frame. Images are made on
//   demand (never the whole set in memory) and can be written to an .npz like the original's.
// - The pair samplers of SlowVAE's TupleLoader: LAP (per factor with K values, the next index ~
//   the discrete Laplace over {0..K−1} centred on the current one with scale log(K)/rate; the
//   categorical shape held; if nothing moved, one non-categorical factor is forced to move) and
//   UNI (Locatello et al. 2020: k ~ U{1..F−1} factors, or a fixed k, each resampled uniformly
//   among its other values).
// - Natural sprites, a continuous stand-in for the YouTube-VOS-driven original (not available
//   offline): spriteworld's four shapes and 40 angles held over a pair, position and size moving
//   by heavy-tailed Laplace transitions (parameters in NaturalSpritesOptions), anti-aliased.
#pragma once

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>

namespace robustlab::representation {

/// dSprites' factors as SlowVAE uses them: shape, scale, orientation, posX, posY.
inline constexpr std::array<int64_t, 5> kDSpritesFactorSizes = {3, 6, 40, 32, 32};
inline constexpr int64_t kDSpritesSize = 3 * 6 * 40 * 32 * 32;  // 737,280
inline constexpr int64_t kSpriteImageSize = 64;

/// Factor classes [N, 5] int64 -> indices [N] (features_to_index); checks the ranges.
torch::Tensor dsprites_index(const torch::Tensor& factors);
/// Indices [N] -> factor classes [N, 5] (index_to_features).
torch::Tensor dsprites_factors(const torch::Tensor& indices);
/// The images of the given factor classes: [N, 1, 64, 64] float32 in {0, 1}. Parallel.
torch::Tensor render_dsprites(const torch::Tensor& factors);
/// Writes the images of `indices` as the original's .npz: imgs uint8 [N, 64, 64],
/// latents_classes int64 [N, 6] and latents_values float64 [N, 6] (colour, shape 1..3, scale,
/// orientation, posX, posY, as dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz holds them).
void write_dsprites_npz(const std::filesystem::path& path, const torch::Tensor& indices);

enum class Transitions { kLaplace, kUniform };
Transitions parse_transitions(const std::string& name);  ///< lap, uni
std::string to_string(Transitions t);

struct PairOptions {
  Transitions transitions = Transitions::kLaplace;
  double rate = 1.0;  ///< LAP: scale log(K)/rate; -1 draws rate ~ U(1, 10) per pair
  int64_t k = -1;     ///< UNI: factors that change; -1 draws k ~ U{1..F−1} per pair
  void validate() const;
};

/// Second frames for the first frames' factor classes [N, 5] (categorical: shape).
torch::Tensor next_factors(const torch::Tensor& factors, const PairOptions& options, std::mt19937_64& rng);

/// Uniform random factor classes [N, 5] (distinct dataset indices, as sample_factors draws them).
torch::Tensor sample_dsprites_factors(int64_t n, std::mt19937_64& rng);

struct NaturalSpritesOptions {
  double position_min = 0.2, position_max = 0.8;  ///< x, y as fractions of the frame
  double scale_min = 0.5, scale_max = 1.0;        ///< radius = 10 · scale pixels
  double position_step = 0.05;                    ///< Laplace scale of Δx, Δy (fractions of the frame)
  double scale_step = 0.05;                       ///< Laplace scale of Δscale
  void validate() const;
};

/// Natural sprites: the factors (x, y, scale, angle index, shape index) of N pairs, the first
/// frames uniform, the second by truncated Laplace steps. Returns [2N, 5] float64, interleaved
/// (frame t, frame t+1, …) as SlowVAE's batches are.
torch::Tensor natural_sprite_pairs(int64_t n, const NaturalSpritesOptions& options, std::mt19937_64& rng);
/// Renders natural-sprite factors [N, 5] as anti-aliased [N, 1, 64, 64] float32 images.
torch::Tensor render_natural_sprites(const torch::Tensor& factors);

}  // namespace robustlab::representation
