// The optimised decision criterion against the reference's line search, run with numpy on the
// same numbers (percentiles -2.65 and 3.7375; best accuracy 7/8 at -0.97247...).
#include <gtest/gtest.h>

#include "robustlab/core/error.h"
#include "robustlab/evaluation/decision_criterion.h"

namespace robustlab::evaluation {
namespace {

TEST(DecisionCriterion, MatchesTheReferenceLineSearch) {
  const std::vector<double> logits = {-3.0, -1.0, 0.5, 1.0, 2.0, 2.5, 4.0, -0.5};
  const std::vector<int64_t> labels = {0, 0, 0, 1, 1, 1, 1, 1};
  const CriterionAccuracy c = criterion_accuracy(logits, labels);
  EXPECT_DOUBLE_EQ(c.at_zero, 0.75);
  EXPECT_DOUBLE_EQ(c.optimised, 0.875);
  EXPECT_NEAR(c.threshold, -0.9724747474747475, 1e-12);
  // A model that answers one class for everything: 50% at 0, and no threshold inside the logits'
  // (constant) range does better.
  const CriterionAccuracy flat = criterion_accuracy({1, 1, 1, 1}, {0, 1, 0, 1});
  EXPECT_DOUBLE_EQ(flat.at_zero, 0.5);
  EXPECT_DOUBLE_EQ(flat.optimised, 0.5);
  EXPECT_THROW(criterion_accuracy({}, {}), InvalidArgument);
  EXPECT_THROW(criterion_accuracy({1.0}, {2}), InvalidArgument);
}

}  // namespace
}  // namespace robustlab::evaluation
