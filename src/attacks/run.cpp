// Attacks over a dataset, batch by batch (see run.h).
#include "robustlab/attacks/run.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>

#include "robustlab/core/error.h"
#include "robustlab/core/progress.h"
#include "robustlab/models/device.h"

namespace robustlab::attacks {

void AttackSpec::validate() const {
  if (attack != "fmn" && attack != "ddn" && attack != "pgd") {
    throw InvalidArgument("unknown attack '" + attack + "' (expected fmn, ddn or pgd)");
  }
  if (attack == "ddn" && fmn.norm != Norm::kL2) throw InvalidArgument("ddn is an L2 attack; use --norm 2");
  if (attack == "pgd" && fmn.norm == Norm::kL0) throw InvalidArgument("pgd does not support the L0 norm; use fmn");
  fmn.validate();
  if (pgd_search_steps < 1) throw InvalidArgument("pgd: search steps must be >= 1");
}

std::string AttackSpec::describe() const { return attack + "-" + to_string(fmn.norm); }

std::vector<std::vector<int64_t>> attack_batches(int64_t n, const std::map<int64_t, double>& done, int64_t batch_size) {
  if (batch_size < 1) throw InvalidArgument("attack: batch size must be >= 1, got " + std::to_string(batch_size));
  std::vector<std::vector<int64_t>> batches;
  for (int64_t i = 0; i < n; ++i) {
    if (done.count(i)) continue;
    if (batches.empty() || static_cast<int64_t>(batches.back().size()) == batch_size) batches.emplace_back();
    batches.back().push_back(i);
  }
  return batches;
}

BatchOutcome attack_batch(Classifier& model, const DatasetPtr& data, const std::vector<int64_t>& indices,
                          const AttackSpec& spec) {
  spec.validate();
  const Batch batch = data->get_batch(indices);
  const int64_t classes = model.num_classes() > 0 ? model.num_classes() : data->num_classes();
  // The attack runs where the model is; its outcome comes back to the CPU.
  const torch::Tensor x = to_device(batch.x, model.device()), y = to_device(batch.y, model.device());
  const torch::Tensor targets = spec.fmn.targeted ? (y + 1) % classes : torch::Tensor();
  BatchOutcome out{batch.index, batch.y, {}};
  if (spec.attack == "fmn") {
    out.result = fmn(model, x, y, spec.fmn, targets);
  } else if (spec.attack == "ddn") {
    out.result = ddn(model, x, y, {.steps = spec.fmn.steps, .targeted = spec.fmn.targeted}, targets);
  } else {
    out.result = pgd_minimal(model, x, y,
                             {.norm = spec.fmn.norm, .steps = std::max<int64_t>(1, spec.fmn.steps / spec.pgd_search_steps),
                              .search_steps = spec.pgd_search_steps, .targeted = spec.fmn.targeted, .apgd = spec.pgd_apgd},
                             targets);
  }
  out.result.adversarial = out.result.adversarial.cpu();
  out.result.success = out.result.success.cpu();
  out.result.norms = out.result.norms.cpu();
  return out;
}

torch::Tensor attack_dataset(Classifier& model, const DatasetPtr& data, const AttackSpec& spec, int64_t batch_size,
                             const std::function<void(const BatchOutcome&)>& on_batch,
                             const std::map<int64_t, double>& done) {
  spec.validate();
  const int64_t n = data->size();
  const std::vector<std::vector<int64_t>> batches = attack_batches(n, done, batch_size);
  // cpu: the per-sample results are gathered on the host
  torch::Tensor all = torch::empty({n}, torch::kFloat64);
  for (const auto& [i, norm] : done)
    if (i >= 0 && i < n) all[i] = norm;
  Progress progress(spec.describe(), n);
  progress.advance(n - static_cast<int64_t>(std::accumulate(batches.begin(), batches.end(), size_t{0},
                                                            [](size_t s, const auto& b) { return s + b.size(); })));
  for (const auto& indices : batches) {
    const BatchOutcome out = attack_batch(model, data, indices, spec);
    all.index_copy_(0, out.indices, out.result.norms);
    if (on_batch) on_batch(out);
    progress.advance(static_cast<int64_t>(indices.size()));
  }
  return all;
}

}  // namespace robustlab::attacks
