// The corruption benchmark (Hendrycks & Dietterich, ICLR 2019, arXiv:1903.12261): a classifier's
// error on each corruption and severity, optionally with test-time BN adaptation (Schneider et
// al. 2020, arXiv:2006.16971), and the corruption errors CE, mCE and relative mCE normalised by a
// baseline (AlexNet's published ImageNet-C errors, or any baseline model's errors).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "robustlab/adaptation/bn.h"
#include "robustlab/adaptation/lame.h"
#include "robustlab/adaptation/self_learning.h"
#include "robustlab/core/progress.h"
#include "robustlab/corruptions/corruptions.h"
#include "robustlab/data/dataset.h"
#include "robustlab/data/image_folder.h"
#include "robustlab/models/classifier.h"

namespace robustlab::evaluation {

enum class Adapt { kNone, kBn, kSelfLearning, kLame };

/// How the test stream runs over the conditions (the TTA benchmark's settings, tta.md §3.2):
/// reset-each-shift = each corruption and severity from the original weights (the papers'
/// protocol); continual = one learner through them in order, never reset; mixed = every
/// condition's images shuffled into one stream (batches mix corruptions), errors counted per
/// condition; correlated = continual, with each condition's images ordered by label as the
/// benchmark's "correlated" setting does (correlated_order); gradual = continual, each corruption
/// at severities 1, 2, 3, 4, 5, 4, 3, 2, 1 when one severity is asked for (the benchmark's gradual
/// setting; otherwise at the severities given), one result per segment (so a corruption and
/// severity can appear twice).
enum class Protocol { kResetEachShift, kContinual, kMixed, kCorrelated, kGradual };
/// reset-each-shift, continual, mixed, correlated, gradual
Protocol parse_protocol(const std::string& name);

/// The benchmark's temporally correlated order of a test set (sort_by_dirichlet, after NOTE, Gong
/// et al. 2022): with delta > 0, split the images into as many chunks as classes, each class spread
/// over the chunks by Dirichlet(delta) proportions (chunks already holding N/C images get none),
/// redrawn until every chunk holds at least 10 images; then chunk by chunk, its classes in random
/// order. delta = 0 sorts by label (stable). Small delta gives long single-class runs (label
/// shift). Deterministic in `seed`; throws InvalidArgument when no draw of 1000 satisfies the
/// chunk size (fewer than 10 images per class on average).
std::vector<int64_t> correlated_order(const std::vector<int64_t>& labels, double delta, uint64_t seed);
std::string to_string(Protocol protocol);

struct CorruptionError {
  std::string corruption;  ///< "clean" for the uncorrupted data
  int severity = 0;        ///< 0 for clean
  double error = 0;
  int64_t count = 0;
};

struct CorruptionEvalOptions {
  std::vector<std::string> corruptions = corruptions::parse_names("benchmark");
  std::vector<int> severities = {1, 2, 3, 4, 5};
  int64_t batch_size = 128;  ///< also the adaptation batch (n)
  /// Batches made ahead on a worker thread (data/prefetch.h); -1: 2 when the model is on an
  /// accelerator, 0 (made in turn) on the CPU, where both would share the same cores.
  int64_t prefetch = -1;
  uint64_t seed = 0;         ///< corruption streams
  Adapt adapt = Adapt::kNone;
  adaptation::BnOptions bn;                     ///< for kBn
  adaptation::LameOptions lame;                 ///< for kLame
  adaptation::SelfLearningOptions self_learning;  ///< for kSelfLearning (the loss says which method)
  Protocol protocol = Protocol::kResetEachShift;
  double dirichlet = 0;  ///< correlated: the Dirichlet concentration delta (0: sorted by label)
  /// With batch size 1: the TTA benchmark's sliding window (methods/base.py) of the last `window`
  /// images. Each image is predicted from a pass over the window (batch-norm statistics of the
  /// window), and the method adapts on the whole window once every `window` images.
  int64_t window = 1;
  /// Self-learning: passes over each corruption and severity (1: online). With more, the first
  /// passes only adapt and the error is measured on the last (the offline protocol of Rusak et al.).
  int64_t epochs = 1;
  /// Measure the clean error first (false: only the corruptions, as hyper-parameter selection).
  bool measure_clean = true;
  corruptions::Options corruption;
  /// Conditions an earlier, interrupted run already measured (resuming it): they are not
  /// evaluated again, and are returned (and passed to on_result) with these errors. Not possible
  /// with continual self-learning or the mixed and correlated streams, whose state depends on them.
  std::vector<CorruptionError> done;
  /// Sharded evaluation (one rank's share): only images [first, last) of every condition are
  /// evaluated (-1: to the end; whole batches, so each batch is the one a single process sees), and
  /// `combine` turns a condition's error over the shard into the error over every rank's images (an
  /// all-reduce) before on_result sees it and it is returned. Only for per-batch methods (none, bn,
  /// lame) under reset-each-shift.
  int64_t first = 0, last = -1;
  std::function<CorruptionError(const CorruptionError&)> combine;
  /// "none", "bn", "ent", "hard-pl", "soft-pl" or "rpl": sets `adapt` (and the self-learning
  /// loss); throws InvalidArgument for other names.
  void set_method(const std::string& name);
  /// The method's name, as set_method takes it.
  std::string method() const;
  void validate() const;
  /// Throws InvalidArgument unless the batches may be evaluated apart (on several ranks, or as an
  /// image range): no adaptation, BN or LAME, or episodic self-learning whose batches are
  /// independent (SelfLearningOptions::batches_independent), one condition at a time, no window.
  void require_shardable() const;
  /// Whether an interrupted run can skip the conditions in `done`: not for a stream whose state
  /// depends on every earlier condition (self-learning continual or correlated; any adaptation mixed).
  bool resumable() const;
};

/// A test stream's predictions under the chosen adaptation: each batch is predicted, then (with
/// self-learning) adapted on; with batch size 1 and a window, through the sliding window.
class StreamPredictor {
 public:
  /// Creates the self-learner when the options ask for one (EATA's Fisher is then the caller's).
  StreamPredictor(Classifier& model, const CorruptionEvalOptions& options);
  torch::Tensor predict(const torch::Tensor& x);
  adaptation::SelfLearner* learner() { return learner_.get(); }

 private:
  /// A prediction of `x` without adapting on it (the window between updates).
  torch::Tensor predict_only(const torch::Tensor& x);
  Classifier& model_;
  const CorruptionEvalOptions& options_;
  std::unique_ptr<adaptation::SelfLearner> learner_;
  torch::Tensor window_;
  int64_t pointer_ = 0;
};

/// Top-1 error of `model` on `data` in batches, each predicted with the chosen adaptation through
/// `predictor` (a new one when null). `progress`, when given, advances by every image read (epochs
/// × size with several self-learning passes).
CorruptionError error_on(Classifier& model, const DatasetPtr& data, const CorruptionEvalOptions& options,
                         StreamPredictor* predictor = nullptr, Progress* progress = nullptr);

/// The clean error, then the error on every corruption and severity of `clean` corrupted on the
/// fly; `on_result` sees each as it is measured (to store it). Images are corrupted with streams
/// from (seed, image index), so every method sees the same corrupted images. Self-learning
/// adapts on each corruption and severity from the original weights (unless
/// the protocol is continual; one shuffled stream when mixed); the clean error is measured with the same method.
std::vector<CorruptionError> evaluate_corruptions(Classifier& model, const DatasetPtr& clean,
                                                  const CorruptionEvalOptions& options,
                                                  const std::function<void(const CorruptionError&)>& on_result = {});

/// The corruption and severity folders of an ImageNet-C-style root
/// (<root>/<corruption>/<severity>/<class>/<image>) that `options` asks for but that are missing.
std::vector<std::string> missing_corrupted_folders(const std::filesystem::path& root,
                                                   const CorruptionEvalOptions& options);

/// As evaluate_corruptions, but on pre-generated images: an ImageNet-C-style folder (the released
/// ImageNet-C, or `robustlab corrupt` output), where each <corruption>/<severity> is an image
/// folder read with `transform` and, when given, `class_list`; or a CIFAR-10-C/100-C folder
/// (recognised by its labels.npy), <corruption>.npy holding the five severities in blocks. `clean` (may be null) gives the
/// clean error. Missing corruption/severity folders are skipped (with a warning listing them) or,
/// with `strict`, an InvalidArgument naming them before anything is evaluated.
std::vector<CorruptionError> evaluate_corrupted_folder(Classifier& model, const std::filesystem::path& root,
                                                       const DatasetPtr& clean, const CorruptionEvalOptions& options,
                                                       const ImageTransform& transform,
                                                       const std::optional<std::filesystem::path>& class_list,
                                                       bool strict,
                                                       const std::function<void(const CorruptionError&)>& on_result = {});

/// AlexNet's mean top-1 error over the 5 severities of each of the 15 ImageNet-C benchmark
/// corruptions (google-research/augmix imagenet.py, from hendrycks/robustness) and its clean error
/// (torchvision's AlexNet, 1 - 0.56522).
const std::map<std::string, double>& alexnet_errors();
constexpr double kAlexNetCleanError = 0.43478;

struct CeSummary {
  std::map<std::string, double> mean_error;   ///< per corruption, over the severities measured
  std::map<std::string, double> ce;           ///< mean_error / baseline mean error
  std::map<std::string, double> relative_ce;  ///< (mean_error - clean) / (baseline - baseline clean)
  double clean_error = 0;
  double mce = 0;           ///< mean CE over the benchmark corruptions present
  double relative_mce = 0;
  int corruptions = 0;      ///< how many of the 15 benchmark corruptions entered the mean
  bool complete() const { return corruptions == 15; }
};

/// CE, mCE and relative mCE from the results of evaluate_corruptions against baseline mean errors
/// per corruption and a baseline clean error. Corruptions missing from the baseline or outside the
/// 15 are reported in mean_error only.
CeSummary summarize(const std::vector<CorruptionError>& errors, const std::map<std::string, double>& baseline,
                    double baseline_clean_error);

/// Mean error per corruption (over severities) of evaluate_corruptions' results, e.g. to serve as
/// the baseline of another model.
std::map<std::string, double> mean_errors(const std::vector<CorruptionError>& errors);

}  // namespace robustlab::evaluation
