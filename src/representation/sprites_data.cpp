// dSprites, SlowVAE's pair samplers and natural sprites (see sprites_data.h).
// cpu (whole file): images are rendered on the CPU and moved to the model batch by batch.
#include "robustlab/representation/sprites_data.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <numbers>
#include <unordered_set>

#include "robustlab/core/error.h"
#include "robustlab/core/parallel.h"
#include "robustlab/data/npy.h"
#include "robustlab/data/sprites.h"

namespace robustlab::representation {
namespace {

constexpr double kRadius = 10.0;   // pixels at scale 1
constexpr double kMargin = 11.0;   // pixels from the frame to the nearest centre
constexpr int kBinarySupersample = 5;
constexpr SpriteShape kDSpritesShapes[] = {SpriteShape::kSquare, SpriteShape::kEllipse, SpriteShape::kHeart};
constexpr SpriteShape kNaturalShapes[] = {SpriteShape::kSquare, SpriteShape::kTriangle, SpriteShape::kStar4,
                                          SpriteShape::kSpoke4};

double scale_value(int64_t k) { return 0.5 + 0.1 * static_cast<double>(k); }
double orientation_value(int64_t k) { return 2 * std::numbers::pi * static_cast<double>(k) / 39.0; }
double position_value(int64_t k) { return static_cast<double>(k) / 31.0; }

void check_factors(const torch::Tensor& f) {
  if (f.dim() != 2 || f.size(1) != 5) throw ShapeError("dsprites: factors must be [N, 5], got " + c10::str(f.sizes()));
  for (int64_t j = 0; j < 5; ++j) {
    const torch::Tensor col = f.select(1, j);
    if (f.size(0) > 0 && (col.min().item<int64_t>() < 0 || col.max().item<int64_t>() >= kDSpritesFactorSizes[static_cast<size_t>(j)])) {
      throw InvalidArgument("dsprites: factor " + std::to_string(j) + " outside [0, " +
                            std::to_string(kDSpritesFactorSizes[static_cast<size_t>(j)]) + ")");
    }
  }
}

/// p(x) ∝ exp(−|x − mean|/scale) on {0..K−1}: a draw (laplace.pdf normalised, as TupleLoader).
int64_t discrete_laplace(int64_t mean, int64_t k, double scale, std::mt19937_64& rng, bool exclude_mean) {
  std::vector<double> p(static_cast<size_t>(k));
  for (int64_t x = 0; x < k; ++x) p[static_cast<size_t>(x)] = std::exp(-std::abs(static_cast<double>(x - mean)) / scale);
  if (exclude_mean) p[static_cast<size_t>(mean)] = 0;
  std::discrete_distribution<int64_t> d(p.begin(), p.end());
  return d(rng);
}

double laplace_step(double scale, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-0.5, 0.5);
  const double v = u(rng);
  return -scale * (v < 0 ? -1.0 : 1.0) * std::log1p(-2 * std::abs(v));
}

}  // namespace

torch::Tensor dsprites_index(const torch::Tensor& factors) {
  check_factors(factors);
  const torch::Tensor f = factors.to(torch::kInt64);
  return (((f.select(1, 0) * 6 + f.select(1, 1)) * 40 + f.select(1, 2)) * 32 + f.select(1, 3)) * 32 + f.select(1, 4);
}

torch::Tensor dsprites_factors(const torch::Tensor& indices) {
  const torch::Tensor i = indices.to(torch::kInt64);
  if (i.numel() > 0 && (i.min().item<int64_t>() < 0 || i.max().item<int64_t>() >= kDSpritesSize)) {
    throw InvalidArgument("dsprites: indices must be in [0, " + std::to_string(kDSpritesSize) + ")");
  }
  std::vector<torch::Tensor> cols(5);
  torch::Tensor rest = i;
  for (int j = 4; j >= 0; --j) {
    cols[static_cast<size_t>(j)] = torch::remainder(rest, kDSpritesFactorSizes[static_cast<size_t>(j)]);
    rest = torch::div(rest, kDSpritesFactorSizes[static_cast<size_t>(j)], "floor");
  }
  return torch::stack(cols, 1);
}

torch::Tensor render_dsprites(const torch::Tensor& factors) {
  check_factors(factors);
  const torch::Tensor f = factors.to(torch::kInt64).contiguous();
  const int64_t n = f.size(0);
  torch::Tensor out = torch::empty({n, 1, kSpriteImageSize, kSpriteImageSize}, torch::kFloat32);
  auto fa = f.accessor<int64_t, 2>();
  parallel_for(n, [&](int64_t i) {
    const SpritePose pose{kMargin + (kSpriteImageSize - 2 * kMargin) * position_value(fa[i][3]),
                          kMargin + (kSpriteImageSize - 2 * kMargin) * position_value(fa[i][4]),
                          kRadius * scale_value(fa[i][1]), orientation_value(fa[i][2])};
    const torch::Tensor cover = rasterize_sprite(kDSpritesShapes[fa[i][0]], pose, kSpriteImageSize, kSpriteImageSize,
                                                 kBinarySupersample);
    out[i][0].copy_(cover.ge(0.5).to(torch::kFloat32));
  });
  return out;
}

void write_dsprites_npz(const std::filesystem::path& path, const torch::Tensor& indices) {
  const torch::Tensor f = dsprites_factors(indices);
  const int64_t n = f.size(0);
  torch::Tensor imgs = torch::empty({n, kSpriteImageSize, kSpriteImageSize}, torch::kUInt8);
  for (int64_t start = 0; start < n; start += 4096) {  // bounded memory: 4,096 float images at a time
    const int64_t len = std::min<int64_t>(4096, n - start);
    imgs.narrow(0, start, len).copy_(render_dsprites(f.narrow(0, start, len)).squeeze(1).to(torch::kUInt8));
  }
  const torch::Tensor classes = torch::cat({torch::zeros({n, 1}, torch::kInt64), f}, 1);
  const torch::Tensor fd = f.to(torch::kFloat64);
  const torch::Tensor values = torch::stack({torch::ones({n}, torch::kFloat64), fd.select(1, 0) + 1,
                                             0.5 + 0.1 * fd.select(1, 1), fd.select(1, 2) * (2 * std::numbers::pi / 39),
                                             fd.select(1, 3) / 31, fd.select(1, 4) / 31},
                                            1);
  write_npz(path, {{"imgs", imgs}, {"latents_classes", classes}, {"latents_values", values}});
}

Transitions parse_transitions(const std::string& name) {
  if (name == "lap") return Transitions::kLaplace;
  if (name == "uni") return Transitions::kUniform;
  throw InvalidArgument("pairs: unknown transitions '" + name + "' (expected lap or uni)");
}

std::string to_string(Transitions t) { return t == Transitions::kLaplace ? "lap" : "uni"; }

void PairOptions::validate() const {
  if (!(rate > 0 || rate == -1)) throw InvalidArgument("pairs: rate must be positive or -1, got " + std::to_string(rate));
  if (!(k == -1 || (k >= 1 && k < static_cast<int64_t>(kDSpritesFactorSizes.size())))) {
    throw InvalidArgument("pairs: k must be -1 or in [1, 4], got " + std::to_string(k));
  }
}

torch::Tensor next_factors(const torch::Tensor& factors, const PairOptions& o, std::mt19937_64& rng) {
  o.validate();
  check_factors(factors);
  torch::Tensor next = factors.to(torch::kInt64).clone().contiguous();
  auto a = next.accessor<int64_t, 2>();
  constexpr int64_t kF = 5;
  constexpr bool kCategorical[kF] = {true, false, false, false, false};  // shape
  for (int64_t i = 0; i < next.size(0); ++i) {
    if (o.transitions == Transitions::kUniform) {
      const int64_t k = o.k > 0 ? o.k : std::uniform_int_distribution<int64_t>(1, kF - 1)(rng);
      std::vector<int64_t> order(kF);
      std::iota(order.begin(), order.end(), 0);
      std::shuffle(order.begin(), order.end(), rng);
      for (int64_t c = 0; c < k; ++c) {
        const int64_t j = order[static_cast<size_t>(c)], size = kDSpritesFactorSizes[static_cast<size_t>(j)];
        const int64_t draw = std::uniform_int_distribution<int64_t>(0, size - 2)(rng);
        a[i][j] = draw >= a[i][j] ? draw + 1 : draw;  // uniform over the other values
      }
      continue;
    }
    const double rate = o.rate > 0 ? o.rate : std::uniform_real_distribution<double>(1, 10)(rng);
    bool moved = false;
    for (int64_t j = 0; j < kF; ++j) {
      if (kCategorical[j]) continue;
      const int64_t size = kDSpritesFactorSizes[static_cast<size_t>(j)], before = a[i][j];
      a[i][j] = discrete_laplace(before, size, std::log(static_cast<double>(size)) / rate, rng, false);
      moved |= a[i][j] != before;
    }
    if (!moved) {  // force one non-categorical factor to move
      const int64_t j = std::uniform_int_distribution<int64_t>(1, kF - 1)(rng);
      const int64_t size = kDSpritesFactorSizes[static_cast<size_t>(j)];
      a[i][j] = discrete_laplace(a[i][j], size, std::log(static_cast<double>(size)) / rate, rng, true);
    }
  }
  return next;
}

torch::Tensor sample_dsprites_factors(int64_t n, std::mt19937_64& rng) {
  if (n < 0 || n > kDSpritesSize) throw InvalidArgument("dsprites: cannot draw " + std::to_string(n) + " distinct images");
  std::unordered_set<int64_t> seen;
  std::vector<int64_t> picked;
  std::uniform_int_distribution<int64_t> u(0, kDSpritesSize - 1);
  while (static_cast<int64_t>(picked.size()) < n) {
    const int64_t i = u(rng);
    if (seen.insert(i).second) picked.push_back(i);
  }
  return dsprites_factors(torch::tensor(picked, torch::kInt64));
}

void NaturalSpritesOptions::validate() const {
  if (!(0 <= position_min && position_min < position_max && position_max <= 1)) {
    throw InvalidArgument("natural sprites: need 0 <= position_min < position_max <= 1");
  }
  if (!(0 < scale_min && scale_min < scale_max)) throw InvalidArgument("natural sprites: need 0 < scale_min < scale_max");
  if (!(position_step > 0 && scale_step > 0)) throw InvalidArgument("natural sprites: the steps must be positive");
}

torch::Tensor natural_sprite_pairs(int64_t n, const NaturalSpritesOptions& o, std::mt19937_64& rng) {
  o.validate();
  torch::Tensor out = torch::empty({2 * n, 5}, torch::kFloat64);
  auto a = out.accessor<double, 2>();
  std::uniform_real_distribution<double> pos(o.position_min, o.position_max), scale(o.scale_min, o.scale_max);
  std::uniform_int_distribution<int64_t> angle(0, 39), shape(0, 3);
  auto step = [&](double from, double lo, double hi, double b) {  // truncated by rejection
    for (int tries = 0; tries < 10000; ++tries) {
      const double to = from + laplace_step(b, rng);
      if (to >= lo && to <= hi) return to;
    }
    return from;
  };
  for (int64_t i = 0; i < n; ++i) {
    a[2 * i][0] = pos(rng);
    a[2 * i][1] = pos(rng);
    a[2 * i][2] = scale(rng);
    a[2 * i][3] = static_cast<double>(angle(rng));
    a[2 * i][4] = static_cast<double>(shape(rng));
    a[2 * i + 1][0] = step(a[2 * i][0], o.position_min, o.position_max, o.position_step);
    a[2 * i + 1][1] = step(a[2 * i][1], o.position_min, o.position_max, o.position_step);
    a[2 * i + 1][2] = step(a[2 * i][2], o.scale_min, o.scale_max, o.scale_step);
    a[2 * i + 1][3] = a[2 * i][3];
    a[2 * i + 1][4] = a[2 * i][4];
  }
  return out;
}

torch::Tensor render_natural_sprites(const torch::Tensor& factors) {
  if (factors.dim() != 2 || factors.size(1) != 5) {
    throw ShapeError("natural sprites: factors must be [N, 5], got " + c10::str(factors.sizes()));
  }
  const torch::Tensor f = factors.to(torch::kFloat64).contiguous();
  const int64_t n = f.size(0);
  torch::Tensor out = torch::empty({n, 1, kSpriteImageSize, kSpriteImageSize}, torch::kFloat32);
  auto fa = f.accessor<double, 2>();
  parallel_for(n, [&](int64_t i) {
    const SpritePose pose{kSpriteImageSize * fa[i][0], kSpriteImageSize * fa[i][1], kRadius * fa[i][2],
                          2 * std::numbers::pi * fa[i][3] / 40.0};  // linspace(0, 360, 40, endpoint=False)
    const auto shape = kNaturalShapes[static_cast<int64_t>(fa[i][4]) & 3];
    out[i][0].copy_(rasterize_sprite(shape, pose, kSpriteImageSize, kSpriteImageSize, 5));  // spriteworld: anti_aliasing=5
  });
  return out;
}

}  // namespace robustlab::representation
