// Accuracy of a binary classifier at threshold 0 and at an optimised decision criterion, as
// Funke et al. 2021 (arXiv:2004.09406) report their closed-contour generalisation (the reference's
// analysis/generalisation_plots.ipynb, linesearch_threshold): the prediction is `logit > t`; t
// runs over 100 evenly spaced values between the 2.5th and 97.5th percentiles of the logits
// (numpy's linear interpolation), and the first t of highest accuracy wins.
#pragma once

#include <cstdint>
#include <vector>

namespace robustlab::evaluation {

struct CriterionAccuracy {
  double at_zero = 0;    ///< accuracy of logit > 0
  double optimised = 0;  ///< the best accuracy of the line search
  double threshold = 0;  ///< where it is reached
};

/// `logits`: one score per image (positive: class 1); `labels`: 0 or 1. Throws InvalidArgument
/// for empty or mismatched inputs.
CriterionAccuracy criterion_accuracy(const std::vector<double>& logits, const std::vector<int64_t>& labels);

}  // namespace robustlab::evaluation
