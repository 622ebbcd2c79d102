// The model-vs-human benchmark aggregation (see benchmark.h; ../shared/reference/mvh.md §2).
#include "robustlab/human/benchmark.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"

namespace robustlab::human {
namespace {

const ObserverTrials* find_observer(const std::vector<ObserverTrials>& observers, const std::string& name) {
  for (const auto& o : observers) {
    if (o.observer == name) return &o;
  }
  return nullptr;
}

std::vector<const ObserverTrials*> humans_of(const std::vector<ObserverTrials>& observers) {
  std::vector<const ObserverTrials*> out;
  for (const auto& o : observers) {
    if (o.human) out.push_back(&o);
  }
  return out;
}

/// The condition sets one metric is averaged over: one set per included condition for parametric
/// datasets, or a single "all trials" set (empty) for the others.
std::vector<std::vector<std::string>> condition_sets(const BenchmarkDataset& d, const ObserverTrials& reference,
                                                     bool include_excluded) {
  if (!d.parametric) return {{}};
  std::set<std::string> seen;
  std::vector<std::vector<std::string>> sets;
  for (const Trial& t : reference.trials) {
    const bool excluded = std::find(d.excluded.begin(), d.excluded.end(), t.condition) != d.excluded.end();
    if ((include_excluded || !excluded) && seen.insert(t.condition).second) sets.push_back({t.condition});
  }
  return sets;
}

/// Accuracy of the trials in the included conditions, pooled over `observers`.
double pooled_accuracy(const std::vector<const ObserverTrials*>& observers, const BenchmarkDataset& d) {
  int64_t correct = 0, total = 0;
  for (const auto* o : observers) {
    for (const Trial& t : o->trials) {
      if (d.parametric && std::find(d.excluded.begin(), d.excluded.end(), t.condition) != d.excluded.end()) continue;
      correct += t.correct();
      ++total;
    }
  }
  return total > 0 ? static_cast<double>(correct) / static_cast<double>(total) : 0.0;
}

/// The three comparison metrics of a pair, averaged over the condition sets.
Scores compare(const ObserverTrials& a, const ObserverTrials& b, const std::vector<std::vector<std::string>>& sets) {
  Scores s;
  for (const auto& conditions : sets) {
    const MatchedPair pair = match_trials(a, b, conditions);
    const Consistency c = error_consistency(pair.first, pair.second);
    s.accuracy_difference += (c.p1 - c.p2) * (c.p1 - c.p2);
    s.observed_consistency += c.observed;
    s.error_consistency += c.kappa;
  }
  const auto n = static_cast<double>(sets.size());
  s.accuracy_difference /= n;
  s.observed_consistency /= n;
  s.error_consistency /= n;
  return s;
}

void accumulate(Scores& total, const Scores& s) {
  total.ood_accuracy += s.ood_accuracy;
  total.accuracy_difference += s.accuracy_difference;
  total.observed_consistency += s.observed_consistency;
  total.error_consistency += s.error_consistency;
}

Scores divided(Scores s, double n) {
  s.ood_accuracy /= n;
  s.accuracy_difference /= n;
  s.observed_consistency /= n;
  s.error_consistency /= n;
  return s;
}

/// Mean over datasets of the per-dataset scores.
void finish_overall(ModelScores& m) {
  if (m.per_dataset.empty()) return;
  Scores total;
  for (const auto& item : m.per_dataset) accumulate(total, item.second);
  m.overall = divided(total, static_cast<double>(m.per_dataset.size()));
}

/// pandas' Series.rank with method="average".
std::vector<double> average_ranks(const std::vector<double>& values, bool ascending) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) {
    return ascending ? values[i] < values[j] : values[i] > values[j];
  });
  std::vector<double> ranks(values.size());
  for (size_t start = 0; start < order.size();) {
    size_t end = start + 1;
    while (end < order.size() && values[order[end]] == values[order[start]]) ++end;
    const double rank = (static_cast<double>(start + 1) + static_cast<double>(end)) / 2.0;
    for (size_t k = start; k < end; ++k) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

}  // namespace

const std::vector<BenchmarkDataset>& benchmark_datasets() {
  static const std::vector<BenchmarkDataset> datasets = {
      {"edge", false, {}},
      {"silhouette", false, {}},
      {"cue-conflict", false, {}},
      {"colour", true, {"cr"}},
      {"contrast", true, {"c100", "c03", "c01"}},
      {"high-pass", true, {"inf", "0.55", "0.45", "0.4"}},
      {"low-pass", true, {"0", "15", "40"}},
      {"phase-scrambling", true, {"0", "150", "180"}},
      {"power-equalisation", true, {"0"}},
      {"false-colour", true, {"True"}},
      {"rotation", true, {"0"}},
      {"eidolonI", true, {"1-10-10", "64-10-10", "128-10-10"}},
      {"eidolonII", true, {"1-3-10", "32-3-10", "64-3-10", "128-3-10"}},
      {"eidolonIII", true, {"1-0-10", "16-0-10", "32-0-10", "64-0-10", "128-0-10"}},
      {"uniform-noise", true, {"0.0", "0.6", "0.9"}},
      {"sketch", false, {}},
      {"stylized", false, {}},
  };
  return datasets;
}

std::vector<std::string> model_names(const RawData& data) {
  std::set<std::string> names;
  for (const auto& item : data) {
    for (const auto& o : item.second) {
      if (!o.human) names.insert(o.observer);
    }
  }
  return {names.begin(), names.end()};
}

ModelScores score_model(const RawData& data, const std::string& model) {
  ModelScores result;
  result.model = model;
  for (const BenchmarkDataset& d : benchmark_datasets()) {
    const auto it = data.find(d.name);
    const ObserverTrials* m = it == data.end() ? nullptr : find_observer(it->second, model);
    const auto humans = it == data.end() ? std::vector<const ObserverTrials*>{} : humans_of(it->second);
    if (!m || humans.empty()) {
      result.missing_datasets.push_back(d.name);
      continue;
    }
    const auto sets = condition_sets(d, *m, false);
    Scores per_human;
    for (const auto* h : humans) accumulate(per_human, compare(*m, *h, sets));
    Scores s = divided(per_human, static_cast<double>(humans.size()));
    s.ood_accuracy = pooled_accuracy({m}, d);
    result.per_dataset[d.name] = s;
  }
  if (result.per_dataset.empty()) {
    throw InvalidArgument("score_model: no raw data for model '" + model + "' on any benchmark dataset");
  }
  if (!result.missing_datasets.empty()) {
    log_warning("model ", model, " has no data for ", result.missing_datasets.size(),
                " benchmark dataset(s); its means cover the other ", result.per_dataset.size());
  }
  finish_overall(result);
  return result;
}

ModelScores score_humans(const RawData& data) {
  ModelScores result;
  result.model = "humans";
  for (const BenchmarkDataset& d : benchmark_datasets()) {
    const auto it = data.find(d.name);
    const auto humans = it == data.end() ? std::vector<const ObserverTrials*>{} : humans_of(it->second);
    if (humans.size() < 2) {
      result.missing_datasets.push_back(d.name);
      continue;
    }
    const auto sets = condition_sets(d, *humans.front(), false);
    Scores per_pair;
    int64_t pairs = 0;
    for (size_t i = 0; i < humans.size(); ++i) {
      for (size_t j = i + 1; j < humans.size(); ++j, ++pairs) accumulate(per_pair, compare(*humans[i], *humans[j], sets));
    }
    Scores s = divided(per_pair, static_cast<double>(pairs));
    s.ood_accuracy = pooled_accuracy(humans, d);
    result.per_dataset[d.name] = s;
  }
  finish_overall(result);
  return result;
}

void rank_models(std::vector<ModelScores>& models) {
  std::vector<size_t> ranked;
  for (size_t i = 0; i < models.size(); ++i) {
    if (models[i].model != "humans") ranked.push_back(i);
  }
  std::vector<double> diff, obs, err, ood;
  for (size_t i : ranked) {
    diff.push_back(models[i].overall.accuracy_difference);
    obs.push_back(models[i].overall.observed_consistency);
    err.push_back(models[i].overall.error_consistency);
    ood.push_back(models[i].overall.ood_accuracy);
  }
  const auto r_diff = average_ranks(diff, true), r_obs = average_ranks(obs, false), r_err = average_ranks(err, false),
             r_ood = average_ranks(ood, false);
  for (size_t k = 0; k < ranked.size(); ++k) {
    ModelScores& m = models[ranked[k]];
    m.rank_accuracy_difference = r_diff[k];
    m.rank_observed_consistency = r_obs[k];
    m.rank_error_consistency = r_err[k];
    m.mean_rank = (r_diff[k] + r_obs[k] + r_err[k]) / 3.0;
    m.rank_ood_accuracy = r_ood[k];
  }
}

std::vector<ConditionKappa> condition_error_consistency(const RawData& data, const std::string& model) {
  std::vector<ConditionKappa> out;
  for (const BenchmarkDataset& d : benchmark_datasets()) {
    const auto it = data.find(d.name);
    if (it == data.end()) continue;
    const ObserverTrials* m = find_observer(it->second, model);
    const auto humans = humans_of(it->second);
    if (!m || humans.empty()) continue;
    for (const auto& conditions : condition_sets(d, *m, true)) {
      ConditionKappa row{d.name, conditions.empty() ? "all" : conditions.front(), 0.0, 0};
      for (const auto* h : humans) {
        const MatchedPair pair = match_trials(*m, *h, conditions);
        row.kappa += error_consistency(pair.first, pair.second).kappa;
        row.trials = static_cast<int64_t>(pair.first.size());
      }
      row.kappa /= static_cast<double>(humans.size());
      out.push_back(row);
    }
  }
  return out;
}

std::vector<NullPair> null_pairs(const RawData& data, const std::string& dataset, const std::string& model) {
  const auto it = data.find(dataset);
  const auto& datasets = benchmark_datasets();
  const auto d = std::find_if(datasets.begin(), datasets.end(), [&](const BenchmarkDataset& b) { return b.name == dataset; });
  if (it == data.end() || d == datasets.end()) return {};
  const ObserverTrials* m = find_observer(it->second, model);
  if (!m) return {};
  std::vector<NullPair> pairs;
  for (const auto* h : humans_of(it->second)) {
    for (const auto& conditions : condition_sets(*d, *m, false)) {
      const MatchedPair pair = match_trials(*m, *h, conditions);
      const Consistency c = error_consistency(pair.first, pair.second);
      pairs.push_back({c.p1, c.p2, c.n});
    }
  }
  return pairs;
}

ShapeBias observer_shape_bias(const RawData& data, const std::string& observer) {
  const auto it = data.find("cue-conflict");
  if (it == data.end()) throw InvalidArgument("shape bias: the raw data has no cue-conflict dataset");
  std::vector<Trial> trials;
  for (const auto& o : it->second) {
    if (observer == "humans" ? o.human : o.observer == observer) trials.insert(trials.end(), o.trials.begin(), o.trials.end());
  }
  if (trials.empty()) throw InvalidArgument("shape bias: no cue-conflict trials for '" + observer + "'");
  return shape_bias(trials);
}

}  // namespace robustlab::human
