#include "robustlab/data/dataset.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "robustlab/core/error.h"

namespace robustlab {
namespace {

std::shared_ptr<TensorDataset> counting(int64_t n) {
  // Image i is filled with the value i (as uint8), label i % 3.
  auto x = torch::arange(n, torch::kUInt8).view({n, 1, 1, 1}).expand({n, 1, 2, 2}).contiguous();
  auto y = torch::arange(n, torch::kInt64) % 3;
  return std::make_shared<TensorDataset>(x, y, std::vector<std::string>{"a", "b", "c"}, "counting");
}

TEST(TensorDataset, ConvertsUint8ToUnitRange) {
  auto d = counting(10);
  const Example e = d->get(5);
  EXPECT_FLOAT_EQ(e.image[0][0][0].item<float>(), 5.0f / 255.0f);
  EXPECT_EQ(e.label, 2);
  EXPECT_THROW(d->get(10), InvalidArgument);
}

TEST(TensorDataset, RejectsBadShapesLabelsAndValues) {
  EXPECT_THROW(TensorDataset(torch::zeros({2, 2, 2}), torch::zeros({2}, torch::kInt64), {"a"}, "x"), ShapeError);
  EXPECT_THROW(TensorDataset(torch::zeros({2, 1, 2, 2}), torch::zeros({3}, torch::kInt64), {"a"}, "x"), ShapeError);
  EXPECT_THROW(TensorDataset(torch::zeros({2, 1, 2, 2}), torch::tensor({0, 5}), {"a", "b"}, "x"), InvalidArgument);
  auto nan = torch::zeros({2, 1, 2, 2});
  nan[0][0][0][0] = NAN;
  EXPECT_THROW(TensorDataset(nan, torch::zeros({2}, torch::kInt64), {"a"}, "x"), NumericalError);
  EXPECT_THROW(TensorDataset(torch::full({2, 1, 2, 2}, 2.0), torch::zeros({2}, torch::kInt64), {"a"}, "x"),
               InvalidArgument);
}

TEST(Subset, OffsetAndLimitInOrder) {
  auto s = make_subset(counting(10), {.offset = 3, .limit = 4});
  ASSERT_EQ(s->size(), 4);
  EXPECT_FLOAT_EQ(s->get(0).image[0][0][0].item<float>() * 255.0f, 3.0f);
  EXPECT_FLOAT_EQ(s->get(3).image[0][0][0].item<float>() * 255.0f, 6.0f);
  EXPECT_EQ(make_subset(counting(10), {.offset = 8, .limit = 5})->size(), 2);
}

TEST(Subset, SampledSubsetIsSeededAndDistinct) {
  auto base = counting(100);
  auto a = std::dynamic_pointer_cast<const SubsetDataset>(make_subset(base, {.limit = 20, .sample = true, .seed = 1}));
  auto b = std::dynamic_pointer_cast<const SubsetDataset>(make_subset(base, {.limit = 20, .sample = true, .seed = 1}));
  auto c = std::dynamic_pointer_cast<const SubsetDataset>(make_subset(base, {.limit = 20, .sample = true, .seed = 2}));
  ASSERT_TRUE(a && b && c);
  std::set<int64_t> ia, ic;
  for (int64_t i = 0; i < 20; ++i) {
    EXPECT_EQ(a->base_index(i), b->base_index(i));
    ia.insert(a->base_index(i));
    ic.insert(c->base_index(i));
  }
  EXPECT_EQ(ia.size(), 20u);
  EXPECT_NE(ia, ic);
}

TEST(Subset, RejectsBadRanges) {
  EXPECT_THROW(make_subset(counting(10), {.offset = 10}), InvalidArgument);
  EXPECT_THROW(make_subset(counting(10), {.offset = -1}), InvalidArgument);
  EXPECT_THROW(make_subset(counting(10), {.limit = 0}), InvalidArgument);
}

TEST(BatchLoader, CoversTheDatasetOncePerEpoch) {
  BatchLoader loader(counting(10), {.batch_size = 4, .shuffle = true, .seed = 3});
  ASSERT_EQ(loader.num_batches(), 3);
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    loader.set_epoch(epoch);
    std::set<int64_t> seen;
    for (int64_t b = 0; b < 3; ++b) {
      const Batch batch = loader.batch(b);
      EXPECT_EQ(batch.x.size(0), b < 2 ? 4 : 2);
      for (int64_t k = 0; k < batch.size(); ++k) {
        const int64_t i = batch.index[k].item<int64_t>();
        seen.insert(i);
        EXPECT_EQ(batch.y[k].item<int64_t>(), i % 3);
        EXPECT_NEAR(batch.x[k][0][0][0].item<float>() * 255.0f, static_cast<float>(i), 1e-4);
      }
    }
    EXPECT_EQ(seen.size(), 10u);
  }
}

TEST(BatchLoader, EpochsShuffleDifferentlyButRepeat) {
  auto order = [](int64_t epoch) {
    BatchLoader loader(counting(50), {.batch_size = 50, .shuffle = true, .seed = 9});
    loader.set_epoch(epoch);
    return loader.batch(0).index;
  };
  EXPECT_TRUE(order(1).equal(order(1)));
  EXPECT_FALSE(order(1).equal(order(2)));
  BatchLoader plain(counting(5), {.batch_size = 2, .drop_last = true});
  EXPECT_EQ(plain.num_batches(), 2);
  EXPECT_TRUE(plain.batch(1).index.equal(torch::tensor({2, 3})));
  EXPECT_THROW(plain.batch(2), InvalidArgument);
  EXPECT_THROW(BatchLoader(counting(5), {.batch_size = 0}), InvalidArgument);
}

}  // namespace
}  // namespace robustlab
