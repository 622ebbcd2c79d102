// Attacks over a dataset, batch by batch (see run.h).
#include "robustlab/attacks/run.h"

#include <torch/torch.h>

#include <algorithm>

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

torch::Tensor attack_dataset(Classifier& model, const DatasetPtr& data, const AttackSpec& spec, int64_t batch_size,
                             const std::function<void(const BatchOutcome&)>& on_batch,
                             const std::map<int64_t, double>& done) {
  spec.validate();
  if (batch_size < 1) throw InvalidArgument("attack: batch size must be >= 1, got " + std::to_string(batch_size));
  const int64_t n = data->size();
  // cpu: the per-sample results are gathered on the host
  torch::Tensor all = torch::empty({n}, torch::kFloat64);
  std::vector<int64_t> remaining;
  for (int64_t i = 0; i < n; ++i) {
    if (const auto it = done.find(i); it != done.end())
      all[i] = it->second;
    else
      remaining.push_back(i);
  }
  Progress progress(spec.describe(), n);
  progress.advance(n - static_cast<int64_t>(remaining.size()));
  for (size_t begin = 0; begin < remaining.size(); begin += static_cast<size_t>(batch_size)) {
    const size_t end = std::min(remaining.size(), begin + static_cast<size_t>(batch_size));
    const Batch batch = data->get_batch(std::vector<int64_t>(remaining.begin() + begin, remaining.begin() + end));
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
    all.index_copy_(0, batch.index, out.result.norms);
    if (on_batch) on_batch(out);
    progress.advance(batch.size());
  }
  return all;
}

}  // namespace robustlab::attacks
