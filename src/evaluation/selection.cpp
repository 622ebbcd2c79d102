// See selection.h: dev-corruption hyper-parameter selection (Rusak et al., TMLR 2022) and presets
// (robusta's README; mariodoebler/test-time-adaptation cfgs/imagenet_c/{tent,rpl}.yaml), whose
// values are in ../shared/reference/tta.md §2.4, §3.1, §3.2.
#include "robustlab/evaluation/selection.h"

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"

namespace robustlab::evaluation {

std::vector<Candidate> default_grid() {
  std::vector<Candidate> grid;
  for (const char* optimizer : {"sgd", "adam"})
    for (double lr : {1e-4, 1e-3, 1e-2}) grid.push_back({optimizer, lr});
  return grid;
}

Selection select_on_dev(const CorruptionEvalOptions& options, const std::vector<Candidate>& grid,
                        const std::function<std::vector<CorruptionError>(const CorruptionEvalOptions&)>& evaluate,
                        const std::function<void(const CandidateResult&)>& on_candidate) {
  if (options.adapt != Adapt::kSelfLearning)
    throw InvalidArgument("selection: only self-learning methods (ent, hard-pl, soft-pl, rpl) have hyper-parameters "
                          "to select, not '" + options.method() + "'");
  if (grid.empty()) throw InvalidArgument("selection: the grid is empty");
  CorruptionEvalOptions dev = options;
  dev.corruptions = corruptions::parse_names("extra");
  dev.measure_clean = false;
  dev.done.clear();
  Selection selection;
  for (const Candidate& c : grid) {
    dev.self_learning.optimizer = c.optimizer;
    dev.self_learning.lr = c.lr;
    dev.validate();
    CandidateResult result{c, 0, {}};
    for (const CorruptionError& e : evaluate(dev))
      if (e.corruption != "clean") result.errors.push_back(e);
    if (result.errors.empty())
      throw InvalidArgument("selection: no held-out corruption was measured (speckle_noise, gaussian_blur, spatter, "
                            "saturate at the chosen severities)");
    for (const CorruptionError& e : result.errors) result.mean_error += e.error;
    result.mean_error /= static_cast<double>(result.errors.size());
    log_info("selection: ", c.optimizer, " lr ", c.lr, ": mean dev error ", result.mean_error);
    if (on_candidate) on_candidate(result);
    if (selection.grid.empty() || result.mean_error < selection.best_error) {
      selection.best = c;
      selection.best_error = result.mean_error;
    }
    selection.grid.push_back(std::move(result));
  }
  return selection;
}

void apply_cifar10_benchmark(adaptation::SelfLearningOptions& sl) {
  sl.optimizer = "adam";
  sl.lr = 1e-3;
  if (sl.loss == adaptation::Loss::kEata) {
    sl.diversity_margin = 0.4;
    if (sl.fisher_alpha > 0) sl.fisher_alpha = 1.0;
  }
  if (sl.loss == adaptation::Loss::kCotta) {  // cfgs/cifar10_c/cotta.yaml
    sl.restore_probability = 0.01;
    sl.confidence_threshold = 0.92;
    sl.symmetric_loss = false;
  }
}

void apply_preset(const std::string& name, CorruptionEvalOptions& options) {
  if (name != "rusak2021" && name != "benchmark" && name != "benchmark-cifar10")
    throw InvalidArgument("unknown preset '" + name + "' (known: rusak2021, benchmark, benchmark-cifar10)");
  if (options.adapt != Adapt::kSelfLearning)
    throw InvalidArgument("preset '" + name + "' sets self-learning hyper-parameters; choose --adapt ent, hard-pl, "
                          "soft-pl or rpl");
  auto& sl = options.self_learning;
  if (name == "benchmark-cifar10") {  // cfgs/cifar10_c/*.yaml: Adam lr 1e-3, batch 200, continual
    apply_cifar10_benchmark(sl);
    options.batch_size = 200;
    options.protocol = Protocol::kContinual;
    return;
  }
  sl.optimizer = "sgd";
  if (name == "rusak2021") {
    sl.lr = 1e-3;
    sl.q = 0.8;
    options.batch_size = 128;
    options.protocol = Protocol::kResetEachShift;
    return;
  }
  if (sl.loss == adaptation::Loss::kEntropy || sl.loss == adaptation::Loss::kTent || sl.loss == adaptation::Loss::kEata ||
      sl.loss == adaptation::Loss::kSar || sl.loss == adaptation::Loss::kRoid) {
    sl.lr = 2.5e-4;
  } else if (sl.loss == adaptation::Loss::kRobustPseudoLabel) {
    sl.lr = 5e-4;
    sl.q = 0.8;
  } else if (sl.loss == adaptation::Loss::kCotta) {  // cfgs/imagenet_c/cotta.yaml
    sl.lr = 0.01;
    sl.restore_probability = 0.001;
    sl.confidence_threshold = 0.1;
    sl.symmetric_loss = true;
  } else if (sl.loss == adaptation::Loss::kRotta) {  // cfgs/imagenet_c/rotta.yaml
    sl.optimizer = "adam";
    sl.lr = 1e-3;
  } else {
    throw InvalidArgument("preset 'benchmark' defines tent/ent, eta/eata, sar, cotta, rotta, roid and rpl, not '" +
                          options.method() + "'");
  }
  options.batch_size = 64;
  options.protocol = Protocol::kContinual;
}

}  // namespace robustlab::evaluation
