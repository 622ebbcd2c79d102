#include "robustlab/human/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "robustlab/core/error.h"

namespace robustlab::human {
namespace {

std::vector<bool> bits(const std::string& s) {
  std::vector<bool> out;
  for (char c : s) out.push_back(c == '1');
  return out;
}

TEST(ErrorConsistency, HandComputedTable) {
  // 10 trials: both right 4, only first 2, only second 1, both wrong 3.
  const auto c = error_consistency(bits("1111110000"), bits("1111001000"));
  EXPECT_EQ(c.n, 10);
  EXPECT_DOUBLE_EQ(c.p1, 0.6);
  EXPECT_DOUBLE_EQ(c.p2, 0.5);
  EXPECT_DOUBLE_EQ(c.observed, 0.7);
  EXPECT_DOUBLE_EQ(c.expected, 0.6 * 0.5 + 0.4 * 0.5);
  EXPECT_NEAR(c.kappa, (0.7 - 0.5) / (1 - 0.5), 1e-15);
}

TEST(ErrorConsistency, PerfectAgreementIsOneEvenWhenExpectedIsOne) {
  EXPECT_DOUBLE_EQ(error_consistency(bits("1111"), bits("1111")).kappa, 1.0);  // c_exp = 1: 0/0 avoided
  EXPECT_DOUBLE_EQ(error_consistency(bits("1100"), bits("1100")).kappa, 1.0);
  // Complete disagreement at 50 % accuracy: kappa = (0 - 0.5) / 0.5 = -1.
  EXPECT_DOUBLE_EQ(error_consistency(bits("1100"), bits("0011")).kappa, -1.0);
  EXPECT_THROW(error_consistency(bits("1"), bits("10")), InvalidArgument);
  EXPECT_THROW(error_consistency({}, {}), InvalidArgument);
}

TEST(MatchTrials, PairsByImageKeyAndCondition) {
  ObserverTrials a{"d", "m", false, {}, {}}, b{"d", "subject-01", true, {}, {}};
  a.trials = {{1, NAN, "cat", "cat", "x", "1_a_dnn_x_cat_n01_1.png", "n01_1.png"},
              {2, NAN, "dog", "cat", "y", "2_a_dnn_y_cat_n01_2.png", "n01_2.png"}};
  b.trials = {{1, 0.5, "dog", "cat", "y", "1_a_s01_y_cat_n01_2.png", "n01_2.png"},
              {2, 0.5, "cat", "cat", "x", "2_a_s01_x_cat_n01_1.png", "n01_1.png"}};
  const MatchedPair all = match_trials(a, b);
  EXPECT_EQ(all.first, (std::vector<bool>{true, false}));
  EXPECT_EQ(all.second, (std::vector<bool>{true, false}));
  EXPECT_EQ(match_trials(a, b, {"y"}).first.size(), 1u);
  b.trials.pop_back();
  EXPECT_THROW(match_trials(a, b), FormatError);
}

TEST(ShapeBias, CountsOnlyConflictTrials) {
  EXPECT_EQ(texture_category("bird3-bird2.png"), "bird");
  EXPECT_EQ(texture_category("airplane1-bicycle2.png"), "bicycle");
  std::vector<Trial> trials = {
      {1, NAN, "airplane", "airplane", "0", "", "airplane1-bicycle2.png"},  // shape
      {2, NAN, "bicycle", "airplane", "0", "", "airplane1-bicycle3.png"},   // texture
      {3, NAN, "bicycle", "airplane", "0", "", "airplane2-bicycle2.png"},   // texture
      {4, NAN, "cat", "airplane", "0", "", "airplane3-bicycle1.png"},       // neither
      {5, NAN, "bird", "bird", "0", "", "bird3-bird2.png"},                 // no conflict: dropped
  };
  const ShapeBias s = shape_bias(trials);
  EXPECT_EQ(s.conflict_trials, 4);
  EXPECT_EQ(s.shape, 1);
  EXPECT_EQ(s.texture, 2);
  EXPECT_DOUBLE_EQ(s.bias(), 1.0 / 3.0);
}

TEST(KappaNull, IntervalMatchesAnalyticVarianceAndReference) {
  // mvh.md §2: at ResNet-50-vs-subject-01 accuracies (.182/.693, n = 1280) direct simulation
  // gives +-0.031; for two humans (.693/.763) +-0.054, as the analytic null variance does.
  const KappaInterval a = kappa_null_interval(0.182, 0.693, 1280, 0.95, 20000, 1);
  EXPECT_NEAR((a.high - a.low) / 2, 0.031, 0.003);
  EXPECT_NEAR((a.high + a.low) / 2, 0.0, 0.003);
  const KappaInterval h = kappa_null_interval(0.693, 0.763, 1280, 0.95, 20000, 2);
  EXPECT_NEAR((h.high - h.low) / 2, 0.054, 0.004);
  EXPECT_NEAR(1.96 * kappa_null_sd(0.693, 0.763, 1280), 0.054, 0.002);
  EXPECT_NEAR(1.96 * kappa_null_sd(0.182, 0.693, 1280), (a.high - a.low) / 2, 0.003);
}

TEST(KappaNull, MeansOfManyPairsAreNarrowerAndSeeded) {
  const KappaInterval one = kappa_null_interval(0.5, 0.6, 160, 0.95, 4000, 3);
  const KappaInterval mean = kappa_null_interval(std::vector<NullPair>(16, {0.5, 0.6, 160}), 0.95, 4000, 3);
  EXPECT_NEAR((mean.high - mean.low) * 4, one.high - one.low, 0.25 * (one.high - one.low));
  const KappaInterval again = kappa_null_interval(std::vector<NullPair>(16, {0.5, 0.6, 160}), 0.95, 4000, 3);
  EXPECT_EQ(mean.low, again.low);
  EXPECT_THROW(kappa_null_interval(1.5, 0.5, 10), InvalidArgument);
  EXPECT_THROW(kappa_null_interval(0.5, 0.5, 0), InvalidArgument);
}

}  // namespace
}  // namespace robustlab::human
