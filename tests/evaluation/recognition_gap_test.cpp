// The recognition-gap search on a toy classifier with a known answer: a model that recognises
// only a 10 × 10 bright patch (class 1 when the crop holds nearly all of its mass).
#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "function_classifier.h"
#include "robustlab/core/error.h"
#include "robustlab/evaluation/recognition_gap.h"

namespace robustlab::evaluation {
namespace {

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

// logits (0, (mass − 90) / 2): p(class 1) = sigmoid((mass − 90) / 2), at any input size.
testing::FunctionClassifier patch_detector() {
  return testing::FunctionClassifier(
      [](const torch::Tensor& x) {
        const torch::Tensor mass = x.sum({1, 2, 3}).unsqueeze(1);
        return torch::cat({torch::zeros_like(mass), (mass - 90) / 2}, 1);
      },
      2);
}

torch::Tensor image_with_patch(int64_t row, int64_t col) {
  torch::Tensor image = torch::zeros({1, 40, 40});
  image.narrow(1, row, 10).narrow(2, col, 10).fill_(1);
  return image;
}

TEST(RecognitionGap, SizesShrinkByFifthsAsTheReference) {
  const std::vector<int64_t> sizes = search_sizes(224);
  const std::vector<int64_t> reference = {224, 179, 143, 114, 91, 73, 58, 46, 37, 30, 24, 19, 15, 12, 10, 8, 6, 5, 4, 3};
  ASSERT_GE(sizes.size(), reference.size());
  EXPECT_TRUE(std::equal(reference.begin(), reference.end(), sizes.begin()));
}

TEST(RecognitionGap, FindsThePatchAsTheMirc) {
  auto model = patch_detector();
  const torch::Tensor image = image_with_patch(30, 30);  // in the lower-right corner
  for (Children children : {Children::kUllman4, Children::kStride1}) {
    const RecognitionGap r = recognition_gap(model, image, {1}, {.children = children, .min_size = 1});
    ASSERT_TRUE(r.has_mirc) << to_string(children);
    // Sizes from 40: 32, 26, 21, 17, 14, 11, 9: the 11-px crop is the last to hold the whole
    // patch; its best child (9 px) holds 81 of its 100 pixels.
    EXPECT_EQ(r.mirc_size, 11);
    EXPECT_EQ(r.mirc_resolution, 11);
    EXPECT_NEAR(r.p_mirc, sigmoid(5), 1e-6);
    EXPECT_NEAR(r.p_sub_mirc, sigmoid(-4.5), 1e-6);
    EXPECT_NEAR(r.gap, sigmoid(5) - sigmoid(-4.5), 1e-6);
    EXPECT_NEAR(r.mirc.sum().item<double>(), 100, 1e-6);
    EXPECT_EQ(r.sub_mirc.size(2), 9);
    if (children == Children::kUllman4) {  // always the lower-right corner: the image's last 11 px
      EXPECT_TRUE(torch::equal(r.mirc, image.narrow(1, 29, 11).narrow(2, 29, 11)));
      EXPECT_EQ(r.evaluations, 1 + 7 * 5);  // the whole image, then 5 children at each of 7 steps
    }
  }
}

TEST(RecognitionGap, NoMircWithoutRecognitionAndASummaryOverRealOnes) {
  auto model = patch_detector();
  const RecognitionGap none = recognition_gap(model, torch::zeros({1, 40, 40}), {1}, {.min_size = 1});
  EXPECT_FALSE(none.has_mirc);
  EXPECT_EQ(none.mirc_size, -1);
  EXPECT_EQ(none.gap, 0);
  EXPECT_EQ(none.evaluations, 1);
  RecognitionGap a, b;
  a.gap = 0.5;
  a.mirc_size = 10;
  b.gap = 0.7;
  b.mirc_size = 20;
  const GapSummary s = summarize({a, b, none});
  EXPECT_EQ(s.images, 3);
  EXPECT_EQ(s.with_mirc, 2);
  EXPECT_NEAR(s.mean_gap, 0.6, 1e-12);
  EXPECT_NEAR(s.std_gap, 0.1, 1e-12);  // ddof 0
  EXPECT_NEAR(s.mean_mirc_size, 15, 1e-12);
}

TEST(RecognitionGap, CropsBelowTheMinimumSizeAreUpsampled) {
  // A model that only accepts 40-px inputs and recognises fine vertical stripes (horizontal
  // gradient energy above 0.2): every crop is upsampled to 40 px, which smooths the stripes more
  // the smaller the crop, so the search ends at a size where the stripes are still fine enough.
  testing::FunctionClassifier fixed(
      [](const torch::Tensor& x) {
        if (x.size(2) != 40 || x.size(3) != 40) throw ShapeError("needs 40 px");
        const torch::Tensor energy = (x.narrow(3, 1, 39) - x.narrow(3, 0, 39)).abs().mean({1, 2, 3}).unsqueeze(1);
        return torch::cat({torch::zeros_like(energy), 20 * (energy - 0.2)}, 1);
      },
      2);
  const torch::Tensor stripes = (torch::arange(40) % 2).to(torch::kFloat32).view({1, 1, 40}).expand({1, 40, 40}).contiguous();
  const RecognitionGap r = recognition_gap(fixed, stripes, {1});
  EXPECT_TRUE(r.has_mirc);
  EXPECT_GE(r.p_mirc, 0.5);
  EXPECT_LT(r.p_sub_mirc, 0.5);
  EXPECT_GT(r.gap, 0);
  EXPECT_GT(r.mirc_size, 3);
  EXPECT_LT(r.mirc_size, 40);
  // A constant image keeps its value through the 8-bit resize.
  const torch::Tensor grey = torch::full({1, 3, 7, 7}, 0.5);
  EXPECT_TRUE(torch::allclose(resize_like_pil(grey, 13), torch::full({1, 3, 13, 13}, 127.0 / 255)));
}

TEST(RecognitionGap, BadInputIsAClearError) {
  auto model = patch_detector();
  const torch::Tensor image = image_with_patch(0, 0);
  EXPECT_THROW(recognition_gap(model, image, {}, {.min_size = 1}), InvalidArgument);
  EXPECT_THROW(recognition_gap(model, image, {5}, {.min_size = 1}), InvalidArgument);  // 2 classes only
  EXPECT_THROW(recognition_gap(model, image, {1}, {.min_size = 64}), InvalidArgument);  // smaller than the minimum
  EXPECT_THROW(recognition_gap(model, torch::zeros({1, 40, 30}), {1}, {.min_size = 1}), InvalidArgument);
  EXPECT_THROW(parse_children("stride2"), InvalidArgument);
}

}  // namespace
}  // namespace robustlab::evaluation
