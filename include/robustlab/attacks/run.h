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

/// The batches attack_dataset attacks: the positions of `data`'s n samples not in `done`, in order,
/// `batch_size` at a time. A run sharded over ranks gives batch b to rank b mod world size, so that
/// every rank attacks the batches of a single process and nothing is attacked twice on resuming.
std::vector<std::vector<int64_t>> attack_batches(int64_t n, const std::map<int64_t, double>& done, int64_t batch_size);

/// Attacks the samples of `data` at `indices` (one batch) where the model is; the outcome is on the CPU.
BatchOutcome attack_batch(Classifier& model, const DatasetPtr& data, const std::vector<int64_t>& indices,
                          const AttackSpec& spec);

/// Attacks every sample of `data` (targets of a targeted attack: (label + 1) mod classes) and
/// calls on_batch after each batch. Returns all norms [N] float64 (+inf for failures) in dataset
/// order. Samples in `done` (dataset index -> norm, from an interrupted run being resumed) are not
/// attacked again; their norms are taken from it.
torch::Tensor attack_dataset(Classifier& model, const DatasetPtr& data, const AttackSpec& spec, int64_t batch_size,
                             const std::function<void(const BatchOutcome&)>& on_batch = {},
                             const std::map<int64_t, double>& done = {});

}  // namespace robustlab::attacks
