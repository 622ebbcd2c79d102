// Hyper-parameter selection for test-time self-learning as the papers do it: a small grid of
// optimiser x learning rate run on the four held-out ImageNet-C corruptions (speckle noise,
// Gaussian blur, spatter, saturate; Hendrycks & Dietterich 2019), the best mean error wins, and
// only then are the benchmark corruptions evaluated (Rusak et al., TMLR 2022, arXiv:2104.12928,
// "selected on the dev corruptions"; TENT's maintainers recommend the same, tta.md §2.4 and §3.1).
// And the named presets of published settings (tta.md §2.4, §3.1, §3.2).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "robustlab/evaluation/corruptions.h"

namespace robustlab::evaluation {

struct Candidate {
  std::string optimizer;  ///< sgd or adam
  double lr = 0;
};

/// {sgd, adam} x {1e-4, 1e-3, 1e-2}: both optimisers over the range in which TENT's maintainers
/// saw gains (2.5e-4 .. 1e-2) and one step below it.
std::vector<Candidate> default_grid();

struct CandidateResult {
  Candidate candidate;
  double mean_error = 0;                 ///< over the dev corruptions and severities
  std::vector<CorruptionError> errors;   ///< each dev corruption and severity
};

struct Selection {
  Candidate best;
  double best_error = 0;              ///< its mean dev error
  std::vector<CandidateResult> grid;  ///< in grid order
};

/// Runs `evaluate` (the caller's benchmark loop: on the fly, or from a folder) once per candidate,
/// with `options`' self-learning method, severities and protocol, on the held-out corruptions only
/// (options.corruptions is replaced; no clean pass), and picks the lowest mean error (the first on
/// ties). `on_candidate` sees each result as it is measured. Throws InvalidArgument unless
/// options adapt by self-learning, or when the grid is empty or a candidate measured nothing.
Selection select_on_dev(const CorruptionEvalOptions& options, const std::vector<Candidate>& grid,
                        const std::function<std::vector<CorruptionError>(const CorruptionEvalOptions&)>& evaluate,
                        const std::function<void(const CandidateResult&)>& on_candidate = {});

/// The TTA benchmark's CIFAR-10-C settings of a method (cfgs/cifar10_c/*.yaml), the benchmark's
/// 10-class case: Adam lr 1e-3; ETA/EATA with the diversity margin 0.4 and EATA's Fisher weight 1;
/// CoTTA with restore probability 0.01, confidence threshold 0.92 and the one-sided loss.
void apply_cifar10_benchmark(adaptation::SelfLearningOptions& options);

/// A named set of published settings for a self-learning method, applied to `options` (after
/// set_method): "rusak2021" (robusta's README: SGD lr 1e-3, batch 128, GCE q 0.8, reset per
/// corruption), "benchmark" (mariodoebler/test-time-adaptation's ImageNet-C yaml: SGD with
/// Nesterov momentum 0.9, batch 64, lr 2.5e-4 for ent/TENT/ETA/EATA/SAR/ROID and 5e-4 for rpl;
/// CoTTA lr 0.01, restore probability 0.001, confidence threshold 0.1, the symmetric loss; RoTTA
/// Adam lr 1e-3; continual) or "benchmark-cifar10" (its CIFAR-10-C yaml: apply_cifar10_benchmark, batch 200,
/// continual). Throws InvalidArgument for an unknown name or a method the preset does not define.
void apply_preset(const std::string& name, CorruptionEvalOptions& options);

}  // namespace robustlab::evaluation
