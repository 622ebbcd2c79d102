// The whole model-vs-human comparison in one call (see compare.h).
#include "robustlab/human/compare.h"

#include "robustlab/core/error.h"

namespace robustlab::human {

void CompareOptions::validate() const {
  if (!(level > 0 && level < 1)) throw InvalidArgument("human compare: level must lie in (0,1), got " + std::to_string(level));
  if (simulations < 10) throw InvalidArgument("human compare: simulations must be >= 10, got " + std::to_string(simulations));
}

Comparison compare(const RawData& data, const CompareOptions& options) {
  options.validate();
  const std::vector<std::string> names = options.models.empty() ? model_names(data) : options.models;
  if (names.empty()) throw InvalidArgument("human compare: the raw data has no model observers");
  Comparison out;
  for (const auto& name : names) out.models.push_back(score_model(data, name));
  rank_models(out.models);
  out.humans = score_humans(data);
  for (const auto& d : benchmark_datasets()) {
    const auto human_it = out.humans.per_dataset.find(d.name);
    if (human_it == out.humans.per_dataset.end()) continue;
    DatasetConsistency row;
    row.dataset = d.name;
    row.kappa["humans"] = human_it->second.error_consistency;
    for (const auto& m : out.models) {
      const auto it = m.per_dataset.find(d.name);
      if (it == m.per_dataset.end()) continue;
      row.kappa[m.model] = it->second.error_consistency;
      row.chance[m.model] =
          kappa_null_interval(null_pairs(data, d.name, m.model), options.level, options.simulations, options.seed);
    }
    out.per_dataset.push_back(std::move(row));
  }
  for (const auto& name : names) out.per_condition[name] = condition_error_consistency(data, name);
  if (data.count("cue-conflict")) {
    for (const auto& name : names) out.shape_bias[name] = observer_shape_bias(data, name);
    out.shape_bias["humans"] = observer_shape_bias(data, "humans");
  }
  return out;
}

}  // namespace robustlab::human
