// The case studies of Funke et al. 2021 as the CLI runs and stores them, shared by the commands and
// the pitfalls section of `robustlab benchmark`: the recognition-gap search (every image's numbers
// as it is searched, then the summary) and the SVRT training-set-size study (each trained model's
// accuracies as it finishes, then the best learning rate per problem and size and the means per
// task group).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "robustlab/data/dataset.h"
#include "robustlab/data/image_folder.h"
#include "robustlab/evaluation/decision_criterion.h"
#include "robustlab/evaluation/recognition_gap.h"
#include "robustlab/models/classifier.h"
#include "robustlab/store/store.h"

namespace robustlab::cli {

/// Searches every image of `data` (joint classes `targets`, or each image's label when empty),
/// storing mirc_size, p_mirc, p_sub_mirc and recognition_gap per image as it goes, and the
/// summary (mean_recognition_gap, std_recognition_gap, mean_mirc_size) at the end. Images in
/// `done` (from an interrupted run) are taken from there instead.
evaluation::GapSummary store_recognition_gaps(Store& store, int64_t run, const std::string& model_name,
                                              Classifier& model, const DatasetPtr& data,
                                              const std::vector<int64_t>& targets,
                                              const evaluation::RecognitionGapOptions& options,
                                              const std::map<int64_t, evaluation::RecognitionGap>& done = {});

/// Per-image results a run stored (to resume it).
std::map<int64_t, evaluation::RecognitionGap> stored_recognition_gaps(const Store& store, int64_t run);

/// The summary line, with the published human and BagNet-33 gaps beside it.
void print_recognition_gap(const std::string& model, const std::string& dataset, const evaluation::GapSummary& s);

/// A closed/open classifier's accuracy on one contour set folder (closed/ and open/), at threshold 0
/// and at the optimised criterion, stored as two `accuracy` rows.
struct ContourSetResult {
  std::string set;
  int64_t images = 0;
  evaluation::CriterionAccuracy accuracy;
};
ContourSetResult evaluate_contour_set(Store& store, int64_t run, const std::string& model_name, Classifier& model,
                                      const std::filesystem::path& folder, const ImageTransform& transform,
                                      int64_t batch_size);

/// The closed-contour study at CPU scale: a training set of the training distribution, a zoo model
/// trained on it from scratch (Adam, cosine decay, flips), and test sets of `sets` (by name; the
/// training distribution's own test set is "training").
struct ContourStudyOptions {
  int64_t repetitions = 1000;      ///< training set: 14 images each (the reference's 14,000 images)
  int64_t test_repetitions = 100;  ///< each test set
  int64_t epochs = 12;
  double lr = 1e-3;
  int64_t batch_size = 64;
  std::string arch = "resnet20";
  int size = 64;  ///< the 256-px stimuli are resized to this side, grayscale
  std::vector<std::string> sets;
  std::filesystem::path data;  ///< <data>/train and <data>/test/<set>, written when missing
  uint64_t seed = 0;
  void validate() const;
  nlohmann::json to_json() const;
};

/// Writes the training set and trains the model, storing train_loss and train_accuracy per epoch,
/// unless <data>/<arch>-<hash of the options>.ckpt exists from an earlier run; returns that
/// checkpoint. Then writes the test sets (kept across runs, like every set).
std::filesystem::path train_contour_model(Store& store, int64_t run, const ContourStudyOptions& options);

/// The SVRT study: for every problem and training-set size, a zoo model trained from scratch on the
/// first size/2 samples of each class for about `presentations` images (epochs = ⌈presentations /
/// size⌉, as the reference keeps 10·28,000 presentations), once per learning rate; the learning
/// rate with the best validation accuracy gives the test accuracy.
struct SvrtStudyOptions {
  std::vector<int> problems;
  std::vector<int64_t> sizes;
  int64_t presentations = 50000;
  std::vector<double> lrs = {1e-3};
  std::string arch = "resnet20_patch4";
  int64_t batch_size = 64;
  int64_t val_samples = 1000;
  int64_t test_samples = 2000;
  std::filesystem::path data;  ///< the sets: <data>/problem_<n>/{train,val,test}, written when missing
  uint64_t seed = 0;
  void validate() const;
  nlohmann::json to_json() const;
};

/// One trained model of the study.
struct SvrtCell {
  int problem = 0;
  int64_t size = 0;
  double lr = 0;
  double train_accuracy = 0, val_accuracy = 0, test_accuracy = 0;
};

/// The study's summary: the selected cell per (problem, size) and each task group's mean test
/// accuracy per size.
struct SvrtSummary {
  std::vector<SvrtCell> selected;
  std::map<std::string, std::map<int64_t, double>> group_means;  ///< group -> size -> accuracy
};

/// Trains and evaluates every (problem, size, lr) not in `done`, storing train_accuracy,
/// val_accuracy and test_accuracy per model as it finishes, then stores the summary
/// (best_test_accuracy per problem and size, mean_test_accuracy per group and size).
SvrtSummary run_svrt_study(Store& store, int64_t run, const SvrtStudyOptions& options,
                           const std::vector<SvrtCell>& done = {});

/// The models a run stored (to resume it).
std::vector<SvrtCell> stored_svrt_cells(const Store& store, int64_t run);

/// The table of test accuracies per problem and size, the group means, and the published ResNet-50
/// means beside them.
void print_svrt_summary(const SvrtStudyOptions& options, const SvrtSummary& summary);
nlohmann::json svrt_summary_json(const SvrtSummary& summary);

}  // namespace robustlab::cli
