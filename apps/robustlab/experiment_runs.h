// The feature-visualisation experiment as the CLI stores and prints it, shared by `experiment
// analyze` and the psychophysics section of `robustlab benchmark`: accuracy per condition with its
// bootstrap interval, reaction time and confidence as result rows; and the benchmark's short run
// (stimuli of the default model, then simulated observers).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "robustlab/data/dataset.h"
#include "robustlab/models/classifier.h"
#include "robustlab/psychophysics/analysis.h"
#include "robustlab/psychophysics/design.h"
#include "robustlab/store/store.h"

namespace robustlab::cli {

/// The units studied on the default model when none are named: two channels of the last block of
/// each of ResNet-20's last two stages.
const std::vector<std::string>& default_experiment_units();

/// Parses "layer:channel" items (a layer name may contain dots, not colons).
std::vector<psychophysics::Unit> parse_units(const std::vector<std::string>& items);

/// Per unit of a stimulus manifest: the natural and synthetic extremes of its activation, as rows
/// (metrics natural_max_activation, natural_min_activation, synthetic_max_activation,
/// synthetic_min_activation; condition {"layer", "channel"}) and as a printed table.
std::vector<ResultRow> stimulus_rows(const nlohmann::json& manifest, const std::string& model, const Dataset& data);
void print_stimulus_summary(const nlohmann::json& manifest);

/// Accuracy (mean, CI bounds), reaction time and confidence per condition of `trials`, by
/// participant means; for Experiment II data also per reference layout ("Max-1/natural").
struct ConditionSummary {
  std::map<std::string, psychophysics::Estimate> accuracy, rt, confidence;
};
ConditionSummary summarize_conditions(const std::vector<psychophysics::TrialRecord>& trials, uint64_t seed);

/// The summary as result rows (metrics accuracy, accuracy_ci_low, accuracy_ci_high, rt_s, confidence;
/// condition {"condition": …}).
std::vector<ResultRow> condition_rows(const ConditionSummary& summary, const std::string& observers, const std::string& dataset);

/// Prints the summary as a table.
void print_condition_summary(const ConditionSummary& summary);

/// The benchmark's psychophysics run: stimuli for four units of `model` (feature visualisation with
/// `steps` steps) in `dir` (kept across runs), then 20 simulated observers; rows stored in `run`.
ConditionSummary experiment_benchmark(Store& store, int64_t run, Classifier& model, const DatasetPtr& data,
                                      const std::filesystem::path& dir, int64_t steps, uint64_t seed);

}  // namespace robustlab::cli
