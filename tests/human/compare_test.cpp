#include "robustlab/human/compare.h"

#include <gtest/gtest.h>

#include "robustlab/core/error.h"
#include "test_support.h"

namespace robustlab::human {
namespace {

TEST(Compare, WholeComparisonOfTheRawData) {
  const RawData data = read_raw_data(testing::shared_dir() / "data/model-vs-human/raw-data");
  const Comparison c = compare(data, {.simulations = 500, .seed = 4});
  ASSERT_EQ(c.models.size(), 1u);
  EXPECT_EQ(c.models[0].model, "resnet50");
  EXPECT_DOUBLE_EQ(c.models[0].mean_rank, 1.0);
  EXPECT_EQ(c.per_dataset.size(), 17u);
  for (const auto& d : c.per_dataset) {
    // ResNet-50's kappa is far above chance on every dataset but edge (0.036), which is still
    // above the band, and the band straddles zero.
    const KappaInterval band = d.chance.at("resnet50");
    EXPECT_LT(band.low, 0.0) << d.dataset;
    EXPECT_GT(band.high, 0.0) << d.dataset;
    EXPECT_GT(d.kappa.at("resnet50"), band.high) << d.dataset;
    EXPECT_GT(d.kappa.at("humans"), d.kappa.at("resnet50")) << d.dataset;
  }
  EXPECT_NEAR(c.shape_bias.at("resnet50").bias(), 0.2142, 5e-5);
  // Five datasets without conditions, and 2+8+8+8+7+2+2+4+8+8+8+8 = 73 conditions of the parametric ones.
  EXPECT_EQ(c.per_condition.at("resnet50").size(), 5u + 73u);
  EXPECT_THROW(compare(data, {.models = {"vgg"}}), InvalidArgument);
  EXPECT_THROW(compare(data, {.level = 1.5}), InvalidArgument);
}

}  // namespace
}  // namespace robustlab::human
