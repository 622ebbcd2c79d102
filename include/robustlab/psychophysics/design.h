// The stimuli and sessions of the feature-visualisation experiment (Borowski et al. 2021,
// arXiv:2010.12606; human_experiments/exp_i/config.py and experiment.py of
// bethgelab/testing_visualizations; ../shared/reference/mvh.md §6).
//
// A stimulus set holds, for every unit (a channel of a layer), natural exemplar batches
// (exemplars.h) and one batch of synthetic max and min images (feature_vis.h), each image written
// once as a PNG, and a manifest `stimuli.json` with every image's activation.
//
// A 2AFC trial shows 9 max and 9 min references of a unit, natural (positions max_0..8 and
// min_1..9 of one natural batch) or synthetic (the first 9 of each synthetic batch), or none; the
// query is that natural batch's two remaining images, its least activating (min_0) and most
// activating (max_9), left and right at random; the right answer is the max query. Catch trials take
// the query from the references shown. A session runs the blocks none_pre, then natural and
// optimized (synthetic) in an order counterbalanced over participants (even slots natural first),
// then none_post; each block has `main_trials` main trials (units in a shuffled cycle, a random
// batch each) and, in the blocks with references, `catch_trials` catch trials, in shuffled order. A
// session is a pure function of the stimulus set, the design and the participant's slot, so the
// server stores only the answers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "robustlab/data/dataset.h"
#include "robustlab/models/classifier.h"
#include "robustlab/psychophysics/analysis.h"
#include "robustlab/psychophysics/feature_vis.h"

namespace robustlab::psychophysics {

struct Unit {
  std::string layer;
  int64_t channel = 0;
};

struct StimulusOptions {
  std::vector<Unit> units;
  int64_t images = 10;   ///< per natural batch and per synthetic batch, of each of max and min
  int64_t batches = 20;  ///< natural batches per unit
  int64_t activation_batch_size = 128;
  /// Feature visualisation; layer, channel, minimize and batch are set per unit.
  FeatureVisOptions vis = FeatureVisOptions{.layer = "-"};
  uint64_t seed = 0;
  void validate() const;
};

/// Generates the stimulus set under `dir` and returns its manifest (also written as
/// dir/stimuli.json). A unit already written (its units/<k>/unit.json present with the same
/// options) is kept, so an interrupted run resumes. `log` receives one line per unit.
nlohmann::json write_stimuli(Classifier& model, const DatasetPtr& data, const StimulusOptions& options,
                             const std::filesystem::path& dir, const std::function<void(const std::string&)>& log = {});

/// Reads dir/stimuli.json. Throws IoError when missing, FormatError when malformed.
nlohmann::json read_manifest(const std::filesystem::path& dir);

struct DesignOptions {
  int64_t main_trials = 15;   ///< per block
  int64_t catch_trials = 3;   ///< per block with references
  int64_t references = 9;     ///< max and min references shown (at most images − 1)
  bool none_blocks = true;    ///< the none_pre and none_post blocks
  uint64_t seed = 0;
  void validate() const;
  nlohmann::json to_json() const;
  static DesignOptions from_json(const nlohmann::json& json);
};

struct Trial {
  int64_t index = 0;
  std::string block;      ///< none_pre, natural, optimized, none_post
  std::string condition;  ///< none, natural, optimized
  int64_t unit = 0;
  int64_t batch = 0;
  bool catch_trial = false;
  std::vector<std::string> max_references, min_references;  ///< files, relative to the stimulus set
  std::string left, right;                                   ///< query files
  double left_activation = 0, right_activation = 0;
  int correct = 0;        ///< 0: left, 1: right (the max query)
  bool break_before = false;  ///< first trial of a block after the first
};

/// The session of the participant in counterbalancing slot `slot`.
std::vector<Trial> make_session(const nlohmann::json& manifest, const DesignOptions& design, int64_t slot);

/// A trial as the participant's browser receives it: no activations, no correct answer, and image
/// names that only the server can resolve ("r/max/3", "q/left").
nlohmann::json trial_for_client(const Trial& trial, int64_t total);

/// The stimulus file behind a client image name of `trial`; empty when the name is not one of the
/// trial's images.
std::string trial_image(const Trial& trial, const std::string& name);

struct ParticipantAnswers {
  int64_t participant = 0;
  int64_t slot = 0;
  std::vector<Trial> trials;           ///< the session
  std::vector<nlohmann::json> answers;  ///< one per answered trial, in order: choice, confidence, rt_ms
};

/// The answered trials as analysis records (analysis.h), one per answer: the block as condition
/// (none_pre, natural, optimized, none_post, as the published data name them), trial type main,
/// the unit's layer, reaction time in seconds and the confidence rating.
std::vector<TrialRecord> experiment_records(const nlohmann::json& manifest, const std::vector<ParticipantAnswers>& data);

}  // namespace robustlab::psychophysics
