#include "robustlab/core/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "robustlab/core/error.h"

namespace robustlab {
namespace {

TEST(Parallel, VisitsEveryIndexOnce) {
  set_threads(2);
  std::vector<std::atomic<int>> hits(1000);
  parallel_for(1000, [&](int64_t i) { hits[static_cast<size_t>(i)]++; });
  for (const auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(Parallel, RethrowsTheFirstError) {
  set_threads(2);
  EXPECT_THROW(parallel_for(100, [](int64_t i) {
                 if (i == 37) throw FormatError("bad item");
               }),
               FormatError);
}

TEST(Parallel, RejectsZeroThreads) {
  EXPECT_THROW(set_threads(0), InvalidArgument);
  set_threads(1);
  EXPECT_EQ(threads(), 1);
}

TEST(Parallel, EmptyRangeDoesNothing) {
  int calls = 0;
  parallel_for(0, [&](int64_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace robustlab
