#include "robustlab/representation/sprites_data.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <numbers>

#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"
#include "test_support.h"

namespace robustlab::representation {
namespace {

TEST(DSprites, IndexOrderIsTheOriginals) {
  // features_to_index: posY fastest, shape slowest.
  EXPECT_EQ(dsprites_index(torch::tensor({{0L, 0L, 0L, 0L, 1L}})).item<int64_t>(), 1);
  EXPECT_EQ(dsprites_index(torch::tensor({{0L, 0L, 0L, 1L, 0L}})).item<int64_t>(), 32);
  EXPECT_EQ(dsprites_index(torch::tensor({{0L, 0L, 1L, 0L, 0L}})).item<int64_t>(), 1024);
  EXPECT_EQ(dsprites_index(torch::tensor({{0L, 1L, 0L, 0L, 0L}})).item<int64_t>(), 40960);
  EXPECT_EQ(dsprites_index(torch::tensor({{2L, 5L, 39L, 31L, 31L}})).item<int64_t>(), kDSpritesSize - 1);
  const torch::Tensor i = torch::randint(0, kDSpritesSize, {1000}, torch::kInt64);
  EXPECT_TRUE(dsprites_index(dsprites_factors(i)).equal(i));
  EXPECT_THROW(dsprites_index(torch::tensor({{3L, 0L, 0L, 0L, 0L}})), InvalidArgument);
  EXPECT_THROW(dsprites_factors(torch::tensor({kDSpritesSize})), InvalidArgument);
}

TEST(DSprites, ImagesAreBinaryInsideTheFrameAndGrowWithScale) {
  std::vector<std::vector<int64_t>> rows;
  for (int64_t shape = 0; shape < 3; ++shape)
    for (int64_t scale = 0; scale < 6; ++scale)
      for (int64_t corner : {0, 31}) rows.push_back({shape, scale, 13, corner, 31 - corner});
  torch::Tensor f = torch::empty({static_cast<int64_t>(rows.size()), 5}, torch::kInt64);
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t j = 0; j < 5; ++j) f[static_cast<int64_t>(r)][static_cast<int64_t>(j)] = rows[r][j];
  const torch::Tensor img = render_dsprites(f);
  EXPECT_EQ(img.sizes(), (torch::IntArrayRef{static_cast<int64_t>(rows.size()), 1, 64, 64}));
  EXPECT_TRUE(img.eq(0).logical_or(img.eq(1)).all().item<bool>());
  // Inside the frame: the outermost ring of pixels stays empty, even at the corners.
  const torch::Tensor border = img.clone();
  border.narrow(2, 1, 62).narrow(3, 1, 62).zero_();
  EXPECT_EQ(border.sum().item<double>(), 0.0);
  // Area grows with scale, for every shape.
  const torch::Tensor area = img.sum({1, 2, 3}).view({3, 6, 2});
  for (int64_t shape = 0; shape < 3; ++shape)
    for (int64_t scale = 1; scale < 6; ++scale)
      EXPECT_GT(area[shape][scale][0].item<double>(), area[shape][scale - 1][0].item<double>()) << shape << " " << scale;
}

TEST(DSprites, OrientationZeroAndTwoPiAreTheSameImage) {
  const torch::Tensor img = render_dsprites(torch::tensor({{2L, 3L, 0L, 10L, 20L}, {2L, 3L, 39L, 10L, 20L},
                                                           {2L, 3L, 20L, 10L, 20L}}));
  EXPECT_TRUE(img[0].equal(img[1]));
  EXPECT_FALSE(img[0].equal(img[2]));  // a heart half a turn round differs
}

TEST(DSprites, WritesTheOriginalsNpzLayout) {
  testing::TempDir dir;
  write_dsprites_npz(dir / "d.npz", torch::arange(5000, 5010));
  const std::string zip = read_file(dir / "d.npz");
  for (const char* member : {"imgs.npy", "latents_classes.npy", "latents_values.npy"})
    EXPECT_NE(zip.find(member), std::string::npos) << member;
  EXPECT_NE(zip.find("'shape': (10, 64, 64)"), std::string::npos);
  EXPECT_NE(zip.find("'shape': (10, 6)"), std::string::npos);
}

TEST(Pairs, LaplaceKeepsShapeAlwaysMovesAndIsHeavyTailed) {
  std::mt19937_64 rng(1);
  const torch::Tensor f1 = sample_dsprites_factors(20000, rng);
  EXPECT_EQ(std::get<0>(torch::_unique(dsprites_index(f1))).numel(), 20000);  // distinct points
  const torch::Tensor f2 = next_factors(f1, {.transitions = Transitions::kLaplace}, rng);
  EXPECT_TRUE(f1.select(1, 0).equal(f2.select(1, 0)));
  EXPECT_TRUE(f1.ne(f2).any(1).all().item<bool>());
  // Steps of posX: discrete Laplace around the current index; kurtosis well above a normal's 3.
  const torch::Tensor d = (f2.select(1, 3) - f1.select(1, 3)).to(torch::kFloat64);
  const double var = d.var().item<double>();
  const double kurtosis = (d - d.mean()).pow(4).mean().item<double>() / (var * var);
  EXPECT_GT(kurtosis, 4.0);
}

TEST(Pairs, UniformChangesExactlyKFactors) {
  std::mt19937_64 rng(2);
  const torch::Tensor f1 = sample_dsprites_factors(2000, rng);
  for (int64_t k : {1, 2, 4}) {
    const torch::Tensor f2 = next_factors(f1, {.transitions = Transitions::kUniform, .k = k}, rng);
    EXPECT_TRUE(f1.ne(f2).sum(1).eq(k).all().item<bool>()) << k;
  }
  const torch::Tensor f2 = next_factors(f1, {.transitions = Transitions::kUniform}, rng);
  const torch::Tensor changed = f1.ne(f2).sum(1);
  EXPECT_GE(changed.min().item<int64_t>(), 1);
  EXPECT_LE(changed.max().item<int64_t>(), 4);
  EXPECT_THROW(next_factors(f1, {.transitions = Transitions::kUniform, .k = 5}, rng), InvalidArgument);
  EXPECT_THROW(parse_transitions("gauss"), InvalidArgument);
}

TEST(NaturalSprites, PairsHoldShapeAndAngleAndStayInRange) {
  std::mt19937_64 rng(3);
  const NaturalSpritesOptions o;
  const torch::Tensor f = natural_sprite_pairs(500, o, rng);
  const torch::Tensor a = f.slice(0, 0, 1000, 2), b = f.slice(0, 1, 1000, 2);
  EXPECT_TRUE(a.select(1, 3).equal(b.select(1, 3)));
  EXPECT_TRUE(a.select(1, 4).equal(b.select(1, 4)));
  EXPECT_GE(b.select(1, 0).min().item<double>(), o.position_min);
  EXPECT_LE(b.select(1, 2).max().item<double>(), o.scale_max);
  const torch::Tensor img = render_natural_sprites(f.narrow(0, 0, 8));
  EXPECT_EQ(img.sizes(), (torch::IntArrayRef{8, 1, 64, 64}));
  EXPECT_GT(img.sum().item<double>(), 0);
}

}  // namespace
}  // namespace robustlab::representation
