// Running a minimum-norm attack over a whole dataset, batch by batch: the per-sample minimal
// norms behind a robustness curve.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "robustlab/attacks/baselines.h"
#include "robustlab/attacks/fmn.h"
#include "robustlab/data/dataset.h"

namespace robustlab::attacks {

struct AttackSpec {
  std::string attack = "fmn";  ///< fmn, ddn or pgd
  FmnOptions fmn;              ///< norm, steps, targeted, ... (the norm and steps apply to every attack)
  int64_t pgd_search_steps = 10;
  bool pgd_apgd = false;  ///< PGD with APGD's step-size schedule
  void validate() const;
  std::string describe() const;  ///< "fmn-L2", "ddn-L2", "pgd-Linf"
};

/// One batch's outcome. indices: positions in the dataset.
struct BatchOutcome {
  torch::Tensor indices;
  torch::Tensor labels;
  AttackResult result;
};

/// Attacks every sample of `data` (targets of a targeted attack: (label + 1) mod classes) and
/// calls on_batch after each batch. Returns all norms [N] float64 (+inf for failures) in dataset
/// order. Samples in `done` (dataset index -> norm, from an interrupted run being resumed) are not
/// attacked again; their norms are taken from it.
torch::Tensor attack_dataset(Classifier& model, const DatasetPtr& data, const AttackSpec& spec, int64_t batch_size,
                             const std::function<void(const BatchOutcome&)>& on_batch = {},
                             const std::map<int64_t, double>& done = {});

}  // namespace robustlab::attacks
