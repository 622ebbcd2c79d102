// The batched tensor entry point and the on-the-fly corrupted dataset (Fashion-MNIST-C).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/core/parallel.h"
#include "robustlab/corruptions/batch.h"

namespace robustlab::corruptions {
namespace {

torch::Tensor images(int64_t n, int64_t channels, int64_t side) {
  torch::manual_seed(0);
  return torch::rand({n, channels, side, side});
}

TEST(CorruptBatch, KeepsShapeAndRangeForGrayscale28) {
  const torch::Tensor x = images(6, 1, 28);
  const torch::Tensor y = corrupt_batch(x, torch::arange(6), "gaussian_noise", 3, 0);
  EXPECT_EQ(y.sizes(), x.sizes());
  EXPECT_GE(y.min().item<float>(), 0.f);
  EXPECT_LE(y.max().item<float>(), 1.f);
  EXPECT_GT((y - x).abs().mean().item<float>(), 0.05f);
  // Brightness only brightens: a grey image becomes brighter on average.
  const torch::Tensor grey = torch::full({2, 1, 28, 28}, 0.4);
  EXPECT_GT(corrupt_batch(grey, torch::arange(2), "brightness", 5, 0).mean().item<float>(), 0.8f);
}

TEST(CorruptBatch, DependsOnIdsNotOnThreadsOrBatchOrder) {
  const torch::Tensor x = images(8, 3, 32);
  const torch::Tensor ids = torch::arange(8) * 7;
  set_threads(1);
  const torch::Tensor one = corrupt_batch(x, ids, "glass_blur", 2, 11);
  set_threads(2);
  const torch::Tensor two = corrupt_batch(x, ids, "glass_blur", 2, 11);
  EXPECT_TRUE(torch::equal(one, two));
  const torch::Tensor order = torch::tensor({7, 6, 5, 4, 3, 2, 1, 0});
  EXPECT_TRUE(torch::equal(corrupt_batch(x.index_select(0, order), ids.index_select(0, order), "glass_blur", 2, 11),
                           one.index_select(0, order)));
  EXPECT_FALSE(torch::equal(corrupt_batch(x, ids, "glass_blur", 2, 12), one));  // another seed
}

TEST(CorruptBatch, RejectsBadShapesAndNames) {
  EXPECT_THROW(corrupt_batch(torch::rand({2, 28, 28}), torch::arange(2), "fog", 1, 0), ShapeError);
  EXPECT_THROW(corrupt_batch(torch::rand({2, 2, 28, 28}), torch::arange(2), "fog", 1, 0), ShapeError);
  EXPECT_THROW(corrupt_batch(torch::rand({2, 1, 28, 28}), torch::arange(3), "fog", 1, 0), ShapeError);
  EXPECT_THROW(corrupt_batch(torch::rand({2, 1, 28, 28}), torch::arange(2), "hail", 1, 0), InvalidArgument);
  EXPECT_THROW(corrupt_batch(torch::rand({2, 1, 28, 28}), torch::arange(2), "fog", 9, 0), InvalidArgument);
}

TEST(CorruptedDataset, CorruptsEachImageTheSameWayEveryTime) {
  auto base = std::make_shared<TensorDataset>(images(5, 1, 28), torch::arange(5), std::vector<std::string>(5, "c"),
                                              "toy");
  const CorruptedDataset data(base, "shot_noise", 4, 3);
  EXPECT_EQ(data.size(), 5);
  EXPECT_EQ(data.name(), "toy/shot_noise-4");
  const Batch batch = data.get_batch({3, 1});
  EXPECT_TRUE(torch::equal(batch.x[0], data.get(3).image));
  EXPECT_TRUE(torch::equal(batch.x[1], data.get(1).image));
  EXPECT_EQ(batch.y[0].item<int64_t>(), 3);
  EXPECT_FALSE(torch::equal(data.get(1).image, base->get(1).image));
  EXPECT_THROW(CorruptedDataset(base, "shot_noise", 0, 3), InvalidArgument);
}

}  // namespace
}  // namespace robustlab::corruptions
