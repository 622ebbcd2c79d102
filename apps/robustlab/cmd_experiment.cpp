// robustlab experiment: the feature-visualisation psychophysics of Borowski et al. 2021 —
// `experiment analyze --published FILE`: the paper's accuracies recomputed from its published
// main-trial CSVs (mean over participants of each participant's accuracy on the main, non-catch
// trials, per reference condition and, for Experiment II, per reference layout), with bootstrap
// intervals, reaction times and confidence.
#include <iostream>

#include "common.h"

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/psychophysics/analysis.h"

namespace robustlab::cli {

void add_experiment_command(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("experiment", "The feature-visualisation 2AFC experiment (Borowski et al. 2021)");
  cmd->require_subcommand(1);
  struct Flags {
    std::string published;
    std::string by = "condition";
  };
  auto f = std::make_shared<Flags>();
  auto* analyze = cmd->add_subcommand(
      "analyze",
      "Accuracy per condition (mean over participants, 95% bootstrap interval over participants), reaction times "
      "and confidence, from the published main-trial CSVs of bethgelab/testing_visualizations");
  analyze->add_option("--published", f->published,
                      "experiment_I_main_practice_catch_repeated_trials_preprocessed.csv or "
                      "experiment_II_main_practice_catch_trials_preprocessed.csv")
      ->required();
  analyze->add_option("--by", f->by, "Also break the accuracy down by: condition (only), layer or participant")
      ->check(CLI::IsMember({"condition", "layer", "participant"}))
      ->capture_default_str();
  analyze->callback([f, &g] {
    apply_globals(g);
    using psychophysics::TrialRecord;
    const auto trials = psychophysics::read_published_trials(f->published);
    // The reference conditions, and Experiment II's layouts within them ("Max-1/natural").
    auto condition = [](const TrialRecord& t) { return t.condition; };
    auto layout = [](const TrialRecord& t) { return t.condition_name.empty() ? std::string() : t.condition_name + "/" + t.condition; };
    std::map<std::string, psychophysics::Estimate> accuracy = psychophysics::accuracy_by(trials, condition, g.seed);
    for (const auto& [key, e] : psychophysics::accuracy_by(trials, layout, g.seed))
      if (!key.empty()) accuracy[key] = e;
    if (accuracy.empty()) throw InvalidArgument("experiment analyze: '" + f->published + "' has no main, non-catch trials");
    const auto rt = psychophysics::participant_means(trials, condition, [](const TrialRecord& t) { return t.rt; }, g.seed);
    const auto confidence =
        psychophysics::participant_means(trials, condition, [](const TrialRecord& t) { return t.confidence; }, g.seed);
    std::map<std::string, psychophysics::Estimate> breakdown;
    if (f->by == "layer")
      breakdown = psychophysics::accuracy_by(trials, [](const TrialRecord& t) { return t.condition + " · " + t.layer; }, g.seed);
    if (f->by == "participant")
      breakdown =
          psychophysics::accuracy_by(trials, [](const TrialRecord& t) { return t.condition + " · " + t.participant; }, g.seed);
    const std::string name = std::filesystem::path(f->published).filename().string();
    record_run(g, "experiment analyze", {{"published", f->published}, {"by", f->by}}, [&](Store& store, int64_t run) {
      std::vector<ResultRow> rows;
      for (const auto& [key, e] : accuracy) {
        const nlohmann::json c = {{"condition", key}};
        rows.push_back({"humans", name, c, "accuracy", e.mean, e.participants});
        rows.push_back({"humans", name, c, "accuracy_ci_low", e.ci_low, e.participants});
        rows.push_back({"humans", name, c, "accuracy_ci_high", e.ci_high, e.participants});
      }
      for (const auto& [key, e] : breakdown)
        rows.push_back({"humans", name, {{f->by, key}}, "accuracy", e.mean, e.participants});
      store.add_results(run, rows);
      if (g.json) {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& [key, e] : accuracy)
          out[key] = {{"accuracy", e.mean}, {"ci", {e.ci_low, e.ci_high}}, {"participants", e.participants},
                      {"trials", e.trials}};
        print_json(out);
        return;
      }
      std::vector<std::vector<std::string>> table;
      for (const auto& [key, e] : accuracy) {
        const bool plain = rt.count(key) > 0;
        table.push_back({key, std::to_string(e.participants), std::to_string(e.trials), fixed(e.mean, 3),
                         "[" + fixed(e.ci_low, 3) + ", " + fixed(e.ci_high, 3) + "]", plain ? fixed(rt.at(key).mean, 2) : "",
                         plain && confidence.count(key) ? fixed(confidence.at(key).mean, 2) : ""});
      }
      std::cout << name << ": main, non-catch trials (optimized = synthetic references)\n";
      print_table({"condition", "participants", "trials", "accuracy", "95% CI", "RT (s)", "confidence"}, table);
      if (!breakdown.empty()) {
        std::vector<std::vector<std::string>> more;
        for (const auto& [key, e] : breakdown)
          more.push_back({key, std::to_string(e.trials), fixed(e.mean, 3), "[" + fixed(e.ci_low, 3) + ", " + fixed(e.ci_high, 3) + "]"});
        std::cout << "\n";
        print_table({"condition · " + f->by, "trials", "accuracy", "95% CI"}, more);
      }
      const auto catches = psychophysics::catch_accuracy(trials);
      if (!catches.empty()) {
        double lowest = 1;
        for (const auto& [p, a] : catches) lowest = std::min(lowest, a);
        std::cout << "catch trials: " << catches.size() << " participants, lowest accuracy " << fixed(lowest, 3) << "\n";
      }
    });
  });
}

}  // namespace robustlab::cli
