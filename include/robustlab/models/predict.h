// Clean predictions and accuracy of a classifier on a dataset, batch by batch.
#pragma once

#include <cstdint>
#include <string>

#include "robustlab/data/dataset.h"
#include "robustlab/models/classifier.h"

namespace robustlab {

struct AccuracyResult {
  int64_t correct = 0;
  int64_t total = 0;
  double accuracy() const { return total > 0 ? static_cast<double>(correct) / total : 0.0; }
  double error() const { return 1.0 - accuracy(); }
};

/// Top-1 accuracy of `model` on `data` in evaluation mode, without gradients. Shows a progress
/// bar labelled `label` when it is not empty. Throws NumericalError if the model returns
/// non-finite logits.
AccuracyResult evaluate_accuracy(Classifier& model, const DatasetPtr& data, int64_t batch_size = 256,
                                 const std::string& label = "");

}  // namespace robustlab
