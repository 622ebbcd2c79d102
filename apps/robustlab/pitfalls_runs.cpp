// See pitfalls_runs.h: the recognition-gap search of Funke et al. 2021 with its results stored.
#include "pitfalls_runs.h"

#include <iostream>

#include "common.h"

#include "robustlab/core/progress.h"

namespace robustlab::cli {

evaluation::GapSummary store_recognition_gaps(Store& store, int64_t run, const std::string& model_name,
                                              Classifier& model, const DatasetPtr& data,
                                              const std::vector<int64_t>& targets,
                                              const evaluation::RecognitionGapOptions& options,
                                              const std::map<int64_t, evaluation::RecognitionGap>& done) {
  const std::string children = evaluation::to_string(options.children);
  std::vector<evaluation::RecognitionGap> results;
  Progress progress("recognition gap", data->size());
  for (int64_t i = 0; i < data->size(); ++i) {
    evaluation::RecognitionGap r;
    if (const auto it = done.find(i); it != done.end()) {
      r = it->second;
    } else {
      const Example e = data->get(i);
      r = evaluation::recognition_gap(model, e.image, targets.empty() ? std::vector<int64_t>{e.label} : targets, options);
    }
    const nlohmann::json condition = {{"image", i}, {"children", children}};
    store.add_results(run, {{model_name, data->name(), condition, "recognition_gap", r.gap, 1},
                            {model_name, data->name(), condition, "mirc_size", static_cast<double>(r.mirc_size), 1},
                            {model_name, data->name(), condition, "p_mirc", r.p_mirc, 1},
                            {model_name, data->name(), condition, "p_sub_mirc", r.p_sub_mirc, 1}});
    results.push_back(std::move(r));
    progress.advance();
  }
  progress.finish();
  const evaluation::GapSummary s = evaluation::summarize(results);
  const nlohmann::json condition = {{"children", children}, {"images", s.images}};
  store.add_results(run, {{model_name, data->name(), condition, "mean_recognition_gap", s.mean_gap, s.with_mirc},
                          {model_name, data->name(), condition, "std_recognition_gap", s.std_gap, s.with_mirc},
                          {model_name, data->name(), condition, "mean_mirc_size", s.mean_mirc_size, s.with_mirc}});
  return s;
}

std::map<int64_t, evaluation::RecognitionGap> stored_recognition_gaps(const Store& store, int64_t run) {
  std::map<int64_t, evaluation::RecognitionGap> done;
  for (const auto& r : store.results({.run_id = run})) {
    if (!r.row.condition.contains("image")) continue;
    evaluation::RecognitionGap& d = done[r.row.condition.at("image").get<int64_t>()];
    if (r.row.metric == "recognition_gap") d.gap = r.row.value;
    if (r.row.metric == "mirc_size") d.mirc_size = static_cast<int64_t>(r.row.value);
    if (r.row.metric == "p_mirc") d.p_mirc = r.row.value;
    if (r.row.metric == "p_sub_mirc") d.p_sub_mirc = r.row.value;
  }
  return done;
}

void print_recognition_gap(const std::string& model, const std::string& dataset, const evaluation::GapSummary& s) {
  print_table({"model", "dataset", "images", "with a MIRC", "recognition gap", "MIRC size (px)"},
              {{model, dataset, std::to_string(s.images), std::to_string(s.with_mirc),
                fixed(s.mean_gap, 3) + " ± " + fixed(s.std_gap, 3), fixed(s.mean_mirc_size, 1)}});
  std::cout << "(humans: 0.71 ± 0.05, Ullman et al. 2016; BagNet-33 on ImageNet with ullman4: 0.897 ± 0.176, "
               "Funke et al. 2021)\n";
}

}  // namespace robustlab::cli
