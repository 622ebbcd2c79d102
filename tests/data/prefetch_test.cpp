#include "robustlab/data/prefetch.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <stdexcept>

#include "robustlab/core/error.h"

namespace robustlab {
namespace {

Batch numbered(int64_t k) {
  Batch b;
  b.x = torch::full({2, 1, 1, 1}, static_cast<float>(k));
  b.y = torch::full({2}, k, torch::kLong);
  b.index = torch::tensor({2 * k, 2 * k + 1});
  return b;
}

TEST(BatchPrefetcher, HandsOverEveryBatchInOrderAtAnyDepth) {
  for (int64_t depth : {0, 1, 3, 50}) {
    BatchPrefetcher p(7, numbered, depth);
    for (int64_t k = 0; k < 7; ++k) EXPECT_EQ(p.next().y[0].item<int64_t>(), k) << "depth " << depth;
    EXPECT_THROW(p.next(), InvalidArgument);
  }
}

TEST(BatchPrefetcher, NeverRunsMoreThanDepthAhead) {
  std::atomic<int64_t> made{0}, taken{0}, most_ahead{0};
  auto make = [&](int64_t k) {
    const int64_t ahead = ++made - taken.load();
    int64_t seen = most_ahead.load();
    while (ahead > seen && !most_ahead.compare_exchange_weak(seen, ahead)) {
    }
    return numbered(k);
  };
  BatchPrefetcher p(40, make, 2);
  for (int64_t k = 0; k < 40; ++k) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // a slow consumer: the worker fills up
    p.next();
    ++taken;
  }
  // At most `depth` batches wait, plus the one being made.
  EXPECT_LE(most_ahead.load(), 3);
  EXPECT_GE(most_ahead.load(), 2);
}

TEST(BatchPrefetcher, AFailingBatchIsRethrownAfterTheBatchesBeforeIt) {
  auto make = [](int64_t k) {
    if (k == 3) throw IoError("image 3 is truncated");
    return numbered(k);
  };
  for (int64_t depth : {0, 2}) {
    BatchPrefetcher p(6, make, depth);
    for (int64_t k = 0; k < 3; ++k) EXPECT_EQ(p.next().y[0].item<int64_t>(), k);
    try {
      p.next();
      ADD_FAILURE() << "no error at depth " << depth;
    } catch (const IoError& e) {
      EXPECT_STREQ(e.what(), "image 3 is truncated");
    }
  }
}

TEST(BatchPrefetcher, StopsCleanlyWhenLeftEarly) {
  std::atomic<int64_t> made{0};
  {
    BatchPrefetcher p(1000, [&](int64_t k) { ++made; return numbered(k); }, 4);
    p.next();
  }  // the destructor stops the worker
  EXPECT_LE(made.load(), 6);
}

}  // namespace
}  // namespace robustlab
