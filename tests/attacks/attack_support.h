// Test models for the attacks: an affine classifier (whose minimal distances have closed forms),
// a constant one (zero gradients, never fooled) and one that returns NaN.
#pragma once

#include "function_classifier.h"

namespace robustlab::attacks::testing {

using robustlab::testing::FunctionClassifier;

/// logits = W flatten(x) + b.
inline FunctionClassifier affine_classifier(const torch::Tensor& w, const torch::Tensor& b) {
  return FunctionClassifier([w, b](const torch::Tensor& x) { return x.flatten(1).matmul(w.t()) + b; }, w.size(0), {},
                            {w, b});
}

/// Always the same logits (class 0 wins), or NaN: gradients are zero, nothing is adversarial.
inline FunctionClassifier constant_classifier(bool nan = false) {
  return FunctionClassifier(
      [nan](const torch::Tensor& x) {
        const torch::Tensor base = torch::tensor({3.0f, 1.0f, 0.0f}).expand({x.size(0), 3}) + 0.0 * x.flatten(1).sum(1, true);
        return nan ? base * NAN : base;
      },
      3);
}

}  // namespace robustlab::attacks::testing
