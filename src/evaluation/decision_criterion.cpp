// The optimised decision criterion of Funke et al. 2021 (analysis/generalisation_plots.ipynb); see
// the header.
#include "robustlab/evaluation/decision_criterion.h"

#include <algorithm>

#include "robustlab/core/error.h"

namespace robustlab::evaluation {

namespace {

double percentile(const std::vector<double>& sorted_values, double q) {  // numpy's default (linear)
  const double position = q / 100 * static_cast<double>(sorted_values.size() - 1);
  const size_t below = static_cast<size_t>(position);
  const size_t above = std::min(below + 1, sorted_values.size() - 1);
  return sorted_values[below] + (position - static_cast<double>(below)) * (sorted_values[above] - sorted_values[below]);
}

double accuracy(const std::vector<double>& logits, const std::vector<int64_t>& labels, double threshold) {
  int64_t right = 0;
  for (size_t i = 0; i < logits.size(); ++i) right += (logits[i] > threshold ? 1 : 0) == labels[i];
  return static_cast<double>(right) / static_cast<double>(logits.size());
}

}  // namespace

CriterionAccuracy criterion_accuracy(const std::vector<double>& logits, const std::vector<int64_t>& labels) {
  if (logits.empty() || logits.size() != labels.size())
    throw InvalidArgument("decision criterion: need as many labels as logits, and at least one");
  for (int64_t l : labels)
    if (l != 0 && l != 1) throw InvalidArgument("decision criterion: labels must be 0 or 1");
  CriterionAccuracy out;
  out.at_zero = accuracy(logits, labels, 0);
  std::vector<double> sorted = logits;
  std::sort(sorted.begin(), sorted.end());
  const double low = percentile(sorted, 2.5), high = percentile(sorted, 97.5);
  for (int k = 0; k < 100; ++k) {
    const double t = low + (high - low) * k / 99.0;
    const double a = accuracy(logits, labels, t);
    if (a > out.optimised) {
      out.optimised = a;
      out.threshold = t;
    }
  }
  return out;
}

}  // namespace robustlab::evaluation
