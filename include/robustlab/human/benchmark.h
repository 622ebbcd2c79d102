// The model-vs-human benchmark table (Geirhos et al. 2021; aggregation in
// ../shared/reference/mvh.md §2): OOD accuracy, accuracy difference, observed consistency and
// error consistency over the 17 out-of-distribution datasets, each averaged over the included
// conditions, then over human observers (or pairs of humans, for the human reference row), then
// over datasets; the human-likeness ranking; shape bias.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "robustlab/human/metrics.h"
#include "robustlab/human/trials.h"

namespace robustlab::human {

/// A benchmark dataset and the conditions the benchmark leaves out (the undistorted control and
/// those with mean human accuracy below 0.2), in the normalised spelling.
struct BenchmarkDataset {
  std::string name;
  bool parametric = false;  ///< false: one condition, all trials
  std::vector<std::string> excluded;
};

/// The 17 datasets of the benchmark, in the toolbox's order.
const std::vector<BenchmarkDataset>& benchmark_datasets();

/// The four aggregate metrics for one decision maker on one dataset or overall.
struct Scores {
  double ood_accuracy = 0.0;
  double accuracy_difference = 0.0;  ///< mean squared accuracy difference to humans
  double observed_consistency = 0.0;
  double error_consistency = 0.0;
};

struct ModelScores {
  std::string model;  ///< "humans" for the human reference row
  Scores overall;     ///< means over the datasets in per_dataset
  std::map<std::string, Scores> per_dataset;
  std::vector<std::string> missing_datasets;  ///< benchmark datasets without data for this model
  /// Human-likeness ranks among the compared models (pandas-style average ranks; 0 for humans).
  double rank_accuracy_difference = 0.0;
  double rank_observed_consistency = 0.0;
  double rank_error_consistency = 0.0;
  double mean_rank = 0.0;
  double rank_ood_accuracy = 0.0;
};

/// The model observers present in `data` (observers that are not human subjects), sorted.
std::vector<std::string> model_names(const RawData& data);

/// Scores `model` against every human observer, dataset by dataset. Throws InvalidArgument if the
/// model has no data at all.
ModelScores score_model(const RawData& data, const std::string& model);

/// The human reference row: OOD accuracy of all human trials pooled, and the other three metrics
/// over all unordered pairs of human observers.
ModelScores score_humans(const RawData& data);

/// Fills the ranks of `models` (the human row, if present, is not ranked).
void rank_models(std::vector<ModelScores>& models);

/// Per-condition error consistency (all conditions, including excluded ones): the mean over humans
/// of kappa(model, human), as the benchmark's error-consistency line plots show it.
struct ConditionKappa {
  std::string dataset;
  std::string condition;
  double kappa = 0.0;
  int64_t trials = 0;  ///< trials per observer in the condition
};
std::vector<ConditionKappa> condition_error_consistency(const RawData& data, const std::string& model);

/// The comparisons behind a model's error consistency on `dataset` (one per human and included
/// condition, with the observed accuracies), for its chance band. Empty when there is no data.
std::vector<NullPair> null_pairs(const RawData& data, const std::string& dataset, const std::string& model);

/// Shape bias of `observer` ("humans": all human trials pooled) on the cue-conflict dataset.
ShapeBias observer_shape_bias(const RawData& data, const std::string& observer);

}  // namespace robustlab::human
