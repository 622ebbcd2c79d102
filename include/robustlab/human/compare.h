// One call for the whole model-vs-human comparison of a set of models: the benchmark table with
// ranks, error consistency per dataset with the chance band of two independent observers, error
// consistency per condition, and shape bias (see benchmark.h and metrics.h for the definitions).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "robustlab/human/benchmark.h"

namespace robustlab::human {

struct CompareOptions {
  std::vector<std::string> models;  ///< empty: every model observer in the data
  double level = 0.95;              ///< of the chance band
  int64_t simulations = 2000;       ///< per chance band
  uint64_t seed = 0;
  void validate() const;
};

/// Error consistency on one dataset: kappa with humans per model, the human-human kappa, and for
/// each model the band its kappa would fall in by chance (the same mean over humans and
/// conditions, of independent observers with the observed accuracies).
struct DatasetConsistency {
  std::string dataset;
  std::map<std::string, double> kappa;  ///< model name or "humans" -> kappa
  std::map<std::string, KappaInterval> chance;  ///< model name -> band
};

struct Comparison {
  std::vector<ModelScores> models;  ///< ranked
  ModelScores humans;
  std::vector<DatasetConsistency> per_dataset;
  std::map<std::string, std::vector<ConditionKappa>> per_condition;  ///< by model
  std::map<std::string, ShapeBias> shape_bias;  ///< by observer ("humans" pooled); empty without cue-conflict
};

/// Compares `options.models` with the humans in `data`. Throws InvalidArgument when there is no
/// model to compare or a named model has no data.
Comparison compare(const RawData& data, const CompareOptions& options = {});

}  // namespace robustlab::human
