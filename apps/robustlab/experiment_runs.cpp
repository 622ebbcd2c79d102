// See experiment_runs.h.
#include "experiment_runs.h"

#include <iostream>

#include "common.h"

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/psychophysics/web_experiment.h"

namespace robustlab::cli {

using psychophysics::TrialRecord;

const std::vector<std::string>& default_experiment_units() {
  static const std::vector<std::string> units = {"layer2_2:0", "layer2_2:1", "layer3_2:0", "layer3_2:1"};
  return units;
}

std::vector<psychophysics::Unit> parse_units(const std::vector<std::string>& items) {
  std::vector<psychophysics::Unit> units;
  for (const auto& item : items) {
    const size_t colon = item.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == item.size())
      throw InvalidArgument("--units: '" + item + "' is not layer:channel");
    try {
      size_t used = 0;
      const int64_t channel = std::stoll(item.substr(colon + 1), &used);
      if (used != item.size() - colon - 1 || channel < 0) throw std::invalid_argument("");
      units.push_back({item.substr(0, colon), channel});
    } catch (const std::logic_error&) {
      throw InvalidArgument("--units: '" + item + "' has no valid channel number after the colon");
    }
  }
  return units;
}

namespace {

/// The highest max and lowest min synthetic activation of a unit.
std::pair<double, double> synthetic_extremes(const nlohmann::json& unit) {
  double top = -1e300, bottom = 1e300;
  for (const auto& i : unit["synthetic"]["max"]) top = std::max(top, i["activation"].get<double>());
  for (const auto& i : unit["synthetic"]["min"]) bottom = std::min(bottom, i["activation"].get<double>());
  return {top, bottom};
}

}  // namespace

std::vector<ResultRow> stimulus_rows(const nlohmann::json& manifest, const std::string& model, const Dataset& data) {
  std::vector<ResultRow> rows;
  const int64_t images = manifest["images"].get<int64_t>();
  for (const auto& u : manifest["units"]) {
    const nlohmann::json c = {{"layer", u["layer"]}, {"channel", u["channel"]}};
    const auto [top, bottom] = synthetic_extremes(u);
    rows.push_back({model, data.name(), c, "natural_max_activation", u["natural_max"], data.size()});
    rows.push_back({model, data.name(), c, "natural_min_activation", u["natural_min"], data.size()});
    rows.push_back({model, data.name(), c, "synthetic_max_activation", top, images});
    rows.push_back({model, data.name(), c, "synthetic_min_activation", bottom, images});
  }
  return rows;
}

void print_stimulus_summary(const nlohmann::json& manifest) {
  std::vector<std::vector<std::string>> table;
  for (const auto& u : manifest["units"]) {
    const auto [top, bottom] = synthetic_extremes(u);
    table.push_back({u["layer"].get<std::string>() + ":" + std::to_string(u["channel"].get<int64_t>()),
                     fixed(u["natural_min"], 3), fixed(u["natural_max"], 3), fixed(bottom, 3), fixed(top, 3)});
  }
  print_table({"unit", "natural min", "natural max", "synthetic min", "synthetic max"}, table);
}

ConditionSummary summarize_conditions(const std::vector<TrialRecord>& trials, uint64_t seed) {
  auto condition = [](const TrialRecord& t) { return t.condition; };
  auto layout = [](const TrialRecord& t) { return t.condition_name.empty() ? std::string() : t.condition_name + "/" + t.condition; };
  ConditionSummary s;
  s.accuracy = psychophysics::accuracy_by(trials, condition, seed);
  for (const auto& [key, e] : psychophysics::accuracy_by(trials, layout, seed))
    if (!key.empty()) s.accuracy[key] = e;
  s.rt = psychophysics::participant_means(trials, condition, [](const TrialRecord& t) { return t.rt; }, seed);
  s.confidence = psychophysics::participant_means(trials, condition, [](const TrialRecord& t) { return t.confidence; }, seed);
  return s;
}

std::vector<ResultRow> condition_rows(const ConditionSummary& s, const std::string& observers, const std::string& dataset) {
  std::vector<ResultRow> rows;
  for (const auto& [key, e] : s.accuracy) {
    const nlohmann::json c = {{"condition", key}};
    rows.push_back({observers, dataset, c, "accuracy", e.mean, e.participants});
    rows.push_back({observers, dataset, c, "accuracy_ci_low", e.ci_low, e.participants});
    rows.push_back({observers, dataset, c, "accuracy_ci_high", e.ci_high, e.participants});
    if (s.rt.count(key)) rows.push_back({observers, dataset, c, "rt_s", s.rt.at(key).mean, e.participants});
    if (s.confidence.count(key)) rows.push_back({observers, dataset, c, "confidence", s.confidence.at(key).mean, e.participants});
  }
  return rows;
}

void print_condition_summary(const ConditionSummary& s) {
  std::vector<std::vector<std::string>> table;
  for (const auto& [key, e] : s.accuracy) {
    const bool plain = s.rt.count(key) > 0;
    table.push_back({key, std::to_string(e.participants), std::to_string(e.trials), fixed(e.mean, 3),
                     "[" + fixed(e.ci_low, 3) + ", " + fixed(e.ci_high, 3) + "]", plain ? fixed(s.rt.at(key).mean, 2) : "",
                     plain && s.confidence.count(key) ? fixed(s.confidence.at(key).mean, 2) : ""});
  }
  print_table({"condition", "participants", "trials", "accuracy", "95% CI", "RT (s)", "confidence"}, table);
}

ConditionSummary experiment_benchmark(Store& store, int64_t run, Classifier& model, const DatasetPtr& data,
                                      const std::filesystem::path& dir, int64_t steps, uint64_t seed) {
  psychophysics::StimulusOptions o;
  o.units = parse_units(default_experiment_units());
  o.vis = psychophysics::FeatureVisOptions::scaled_to(data->get(0).image.size(2));
  o.vis.layer = o.units.front().layer;
  o.vis.channels = data->get(0).image.size(0) == 1 ? 1 : 3;
  o.vis.steps = steps;
  o.vis.diversity = 1.0;  // as `experiment stimuli` on the default model
  o.vis.seed = seed;
  o.seed = seed;
  const auto manifest = psychophysics::write_stimuli(model, data, o, dir, [](const std::string& line) { log_info(line); });
  std::vector<ResultRow> rows = stimulus_rows(manifest, model.description(), *data);
  const psychophysics::DesignOptions design{.seed = seed};
  const auto answers = psychophysics::simulate_answers(manifest, design, {.participants = 20, .noise = 0.25, .seed = seed});
  const ConditionSummary summary = summarize_conditions(psychophysics::experiment_records(manifest, answers), seed);
  const auto more = condition_rows(summary, "simulated observers", "feature-visualization stimuli");
  rows.insert(rows.end(), more.begin(), more.end());
  store.add_results(run, rows);
  return summary;
}

}  // namespace robustlab::cli
