// Analysis of the feature-visualisation 2AFC experiment of Borowski, Zimmermann, Schepers, Geirhos,
// Wallis, Bethge and Brendel, "Exemplary natural images explain CNN activations better than
// state-of-the-art feature visualization" (ICLR 2021, arXiv:2010.12606; repo
// bethgelab/testing_visualizations, ../shared/reference/mvh.md §6). As the paper reports it: each
// participant's accuracy on the main, non-catch trials of a condition, then the mean over
// participants, with a percentile bootstrap over participants for the 95% interval. The same for
// reaction times and confidence ratings.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace robustlab::psychophysics {

/// One answered trial.
struct TrialRecord {
  std::string participant;
  std::string condition;       ///< reference condition: natural, optimized (synthetic), none_pre, none_post
  std::string condition_name;  ///< Experiment II's reference layout (Max-1, Max-9, Min-Max-1, Min-Max-9), else empty
  std::string layer;
  std::string trial_type;  ///< practice, main or repeated
  bool catch_trial = false;
  bool correct = false;
  double rt = 0;          ///< seconds
  double confidence = 0;  ///< absolute rating
};

/// Reads one of the published main-trial CSVs of bethgelab/testing_visualizations
/// (experiment_I_main_practice_catch_repeated_trials_preprocessed.csv or
/// experiment_II_main_practice_catch_trials_preprocessed.csv; columns in that repository's
/// data_from_human_experiments/README.md). Throws IoError for a missing file and FormatError for a
/// missing column or a malformed line, naming the line.
std::vector<TrialRecord> read_published_trials(const std::filesystem::path& path);

/// A mean over participants and its 95% percentile-bootstrap interval.
struct Estimate {
  double mean = 0, ci_low = 0, ci_high = 0;
  int64_t participants = 0, trials = 0;
};

/// For every group (key(trial)) of the main, non-catch trials: each participant's mean of
/// value(trial), then the mean over participants; the interval resamples participants with
/// replacement `resamples` times (seeded).
std::map<std::string, Estimate> participant_means(const std::vector<TrialRecord>& trials,
                                                  const std::function<std::string(const TrialRecord&)>& key,
                                                  const std::function<double(const TrialRecord&)>& value,
                                                  uint64_t seed = 0, int resamples = 10000);

/// participant_means of correctness.
std::map<std::string, Estimate> accuracy_by(const std::vector<TrialRecord>& trials,
                                            const std::function<std::string(const TrialRecord&)>& key,
                                            uint64_t seed = 0);

/// Each participant's accuracy on the catch trials (main blocks), to exclude inattentive ones.
std::map<std::string, double> catch_accuracy(const std::vector<TrialRecord>& trials);

}  // namespace robustlab::psychophysics
