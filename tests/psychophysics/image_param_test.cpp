// The feature-visualisation image parameterisation: frequencies as numpy computes them, the
// Fourier parameterisation round-trips, the colour matrix's columns are orthogonal.
#include "robustlab/psychophysics/image_param.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace robustlab::psychophysics {
namespace {

TEST(ImageParam, FrequenciesAreNumpysFftfreqGrid) {
  const torch::Tensor f = rfft2d_frequencies(4, 6);
  ASSERT_EQ(f.sizes(), (std::vector<int64_t>{4, 4}));
  // fftfreq(4) = [0, .25, -.5, -.25]; fftfreq(6)[:4] = [0, 1/6, 2/6, -3/6].
  EXPECT_NEAR(f[0][0].item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(f[1][1].item<double>(), std::hypot(0.25, 1.0 / 6), 1e-12);
  EXPECT_NEAR(f[2][3].item<double>(), std::hypot(0.5, 0.5), 1e-12);
  EXPECT_NEAR(f[3][2].item<double>(), std::hypot(0.25, 2.0 / 6), 1e-12);
  EXPECT_EQ(rfft2d_frequencies(5, 7).size(1), 5);  // odd width: w/2 + 2 columns, as lucid keeps
}

TEST(ImageParam, TheFourierParameterisationRoundTrips) {
  torch::manual_seed(0);
  const torch::Tensor image = torch::rand({2, 3, 10, 8}) - 0.5;
  const FourierImage f = FourierImage::from_image(image);
  EXPECT_TRUE(f.spectrum.requires_grad());
  EXPECT_TRUE(torch::allclose(f.spatial(), image, 1e-5, 1e-5));
  // A random start has the requested shape, also for an odd width, and its gradient reaches the spectrum.
  const FourierImage r = FourierImage::random(1, 3, 9, 11, at::detail::createCPUGenerator(1));
  const torch::Tensor x = r.spatial();
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{1, 3, 9, 11}));
  x.sum().backward();
  EXPECT_TRUE(r.spectrum.grad().defined());
  EXPECT_GT(r.spectrum.grad().abs().sum().item<double>(), 0);
}

TEST(ImageParam, TheColourMatrixHasOrthogonalColumnsAndMapsToValidRgb) {
  const torch::Tensor m = color_correlation_svd_sqrt();
  const torch::Tensor gram = m.t().mm(m);
  const double largest = gram.diagonal().max().item<double>();
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      if (i != j) {
        EXPECT_LT(std::abs(gram[i][j].item<double>()), 0.01 * largest) << i << "," << j;
      }
  // Zero in the decorrelated space is mid-grey; the first (luminance) direction moves all three
  // channels together; the output stays in (0, 1).
  const torch::Tensor grey = to_valid_rgb(torch::zeros({1, 3, 2, 2}));
  EXPECT_TRUE(torch::allclose(grey, torch::full_like(grey, 0.5)));
  torch::Tensor lum = torch::zeros({1, 3, 1, 1});
  lum[0][0] = 1;
  const torch::Tensor rgb = to_valid_rgb(lum).flatten();
  for (int c = 0; c < 3; ++c) EXPECT_GT(rgb[c].item<double>(), 0.6);
  const torch::Tensor wild = to_valid_rgb(torch::randn({2, 3, 4, 4}) * 100);
  EXPECT_GE(wild.min().item<double>(), 0.0);
  EXPECT_LE(wild.max().item<double>(), 1.0);
}

}  // namespace
}  // namespace robustlab::psychophysics
