#include "robustlab/core/assignment.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "robustlab/core/error.h"

namespace robustlab {
namespace {

/// The least total cost over every way to pair min(rows, cols) rows and columns.
double brute_force(const std::vector<double>& c, int64_t rows, int64_t cols) {
  const bool tall = rows > cols;
  const int64_t r = tall ? cols : rows, n = tall ? rows : cols;
  std::vector<int64_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  do {
    double sum = 0;
    for (int64_t i = 0; i < r; ++i) {
      const int64_t j = perm[static_cast<size_t>(i)];
      sum += tall ? c[static_cast<size_t>(j * cols + i)] : c[static_cast<size_t>(i * cols + j)];
    }
    best = std::min(best, sum);
  } while (std::next_permutation(perm.begin(), perm.end()));
  return best;
}

TEST(Assignment, EqualsBruteForceOnRandomMatricesUpToSevenBySeven) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-5, 5);
  for (int64_t rows = 1; rows <= 7; ++rows) {
    for (int64_t cols = 1; cols <= 7; ++cols) {
      for (int trial = 0; trial < 5; ++trial) {
        std::vector<double> c(static_cast<size_t>(rows * cols));
        // Some trials on a coarse grid, so that ties are common.
        for (double& x : c) x = trial % 2 ? std::round(u(rng)) : u(rng);
        const Assignment a = linear_sum_assignment(c, rows, cols);
        ASSERT_EQ(static_cast<int64_t>(a.rows.size()), std::min(rows, cols));
        EXPECT_NEAR(a.cost, brute_force(c, rows, cols), 1e-9) << rows << "x" << cols << " trial " << trial;
        // A matching: distinct rows (ascending) and distinct columns.
        EXPECT_TRUE(std::is_sorted(a.rows.begin(), a.rows.end()));
        std::vector<int64_t> used = a.cols;
        std::sort(used.begin(), used.end());
        EXPECT_EQ(std::unique(used.begin(), used.end()), used.end());
      }
    }
  }
}

TEST(Assignment, TiesAreBrokenAsScipyBreaksThem) {
  // scipy.optimize.linear_sum_assignment 1.10.1 on the same matrices.
  Assignment a = linear_sum_assignment(std::vector<double>(9, 1.0), 3, 3);
  EXPECT_EQ(a.cols, (std::vector<int64_t>{0, 1, 2}));
  a = linear_sum_assignment(std::vector<double>(8, 1.0), 2, 4);
  EXPECT_EQ(a.cols, (std::vector<int64_t>{0, 1}));
  a = linear_sum_assignment(std::vector<double>(8, 1.0), 4, 2);
  EXPECT_EQ(a.rows, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(a.cols, (std::vector<int64_t>{0, 1}));
  a = linear_sum_assignment({1, 1, 2, 1, 1, 2, 2, 2, 0}, 3, 3);
  EXPECT_EQ(a.cols, (std::vector<int64_t>{0, 1, 2}));
  a = linear_sum_assignment({0.5, 0.5, 0.5, 0.5, 0.2, 0.9}, 3, 2);
  EXPECT_EQ(a.rows, (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(a.cols, (std::vector<int64_t>{1, 0}));
}

TEST(Assignment, ForbiddenPairsAreNeverReturned) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  // Row 1 can go nowhere: it is left out, and the others keep their best pairs.
  Assignment a = linear_sum_assignment({0.1, 0.9, nan, nan, 0.8, 0.2}, 3, 2);
  EXPECT_EQ(a.rows, (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(a.cols, (std::vector<int64_t>{0, 1}));
  EXPECT_NEAR(a.cost, 0.3, 1e-12);
  // Two rows that both only fit column 0: one pair, the cheaper one.
  a = linear_sum_assignment({0.0, inf, 0.1, nan}, 2, 2);
  EXPECT_EQ(a.rows, (std::vector<int64_t>{0}));
  EXPECT_EQ(a.cols, (std::vector<int64_t>{0}));
  a = linear_sum_assignment({nan, nan, nan, nan}, 2, 2);
  EXPECT_TRUE(a.rows.empty());
  EXPECT_TRUE(linear_sum_assignment({}, 0, 3).rows.empty());
  EXPECT_THROW(linear_sum_assignment({1, 2, 3}, 2, 2), InvalidArgument);
}

}  // namespace
}  // namespace robustlab
