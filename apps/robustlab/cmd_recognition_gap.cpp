// robustlab recognition-gap: the minimal-recognisable-image search of Funke et al. 2021 (after
// Ullman et al. 2016) for any classifier; per image the MIRC size, p(MIRC), p(sub-MIRC) and the
// gap go to the store as they are found (an interrupted run resumes), then the summary.
#include <iostream>
#include <map>

#include "common.h"

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/core/progress.h"
#include "robustlab/evaluation/recognition_gap.h"

namespace robustlab::cli {

void add_recognition_gap_command(CLI::App& app, Globals& g) {
  struct Flags {
    std::string model;
    DatasetOptions data;
    LoadOptions load;
    std::string children = "ullman4";
    std::vector<int64_t> targets;
    evaluation::RecognitionGapOptions search;
    bool restart = false;
  };
  auto f = std::make_shared<Flags>();
  f->data.subset.limit = 100;
  auto* cmd = app.add_subcommand(
      "recognition-gap",
      "Minimal recognisable images and the recognition gap (Funke et al. 2021): greedy 80% crops while the "
      "model still recognises the image (first 100 images by default)");
  cmd->add_option("--model", f->model,
                  "Checkpoint or TorchScript file (default: the default model of robustlab benchmark)");
  add_dataset_flags(*cmd, f->data, "test");
  add_load_flags(*cmd, f->load);
  cmd->add_option("--children", f->children,
                  "ullman4 = the four corner crops and one reduced-resolution copy (Ullman et al.); stride1 = every "
                  "crop position and the reduced copy")
      ->capture_default_str();
  cmd->add_option("--targets", f->targets,
                  "Joint classes: p(correct) sums the probabilities of these classes (default: each image's label)")
      ->delimiter(',');
  cmd->add_option("--min-size", f->search.min_size,
                  "Crops smaller than this are upsampled to it for the model (the reference's 33 for BagNet-33; "
                  "default 0 = the image size, so the model always sees its input size)")
      ->capture_default_str();
  cmd->add_option("--criterion", f->search.criterion, "Recognised when p(correct) >= this")->capture_default_str();
  cmd->add_option("--batch-size", f->search.batch_size, "Crops per forward pass")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag("--restart", f->restart, "Search every image again instead of resuming an interrupted run");
  cmd->callback([f, &g] {
    apply_globals(g);
    f->search.children = evaluation::parse_children(f->children);
    f->search.validate();
    for (int64_t t : f->targets)
      if (t < 0) throw InvalidArgument("recognition-gap: --targets must be class indices >= 0, got " + std::to_string(t));
    f->model = model_or_default(f->model);
    nlohmann::json config = {{"model", f->model},           {"dataset", dataset_config(f->data)},
                             {"children", f->children},     {"targets", f->targets},
                             {"min_size", f->search.min_size}, {"criterion", f->search.criterion}};
    // Resume: the images an interrupted run with the same settings already searched.
    std::map<int64_t, evaluation::RecognitionGap> done;
    if (!f->restart) {
      const Store store(g.db);
      if (const auto before = interrupted_run(store, "recognition-gap", config)) {
        for (const auto& r : store.results({.run_id = before->id})) {
          evaluation::RecognitionGap& d = done[r.row.condition.at("image").get<int64_t>()];
          if (r.row.metric == "recognition_gap") d.gap = r.row.value;
          if (r.row.metric == "mirc_size") d.mirc_size = static_cast<int64_t>(r.row.value);
          if (r.row.metric == "p_mirc") d.p_mirc = r.row.value;
          if (r.row.metric == "p_sub_mirc") d.p_sub_mirc = r.row.value;
        }
        if (!done.empty()) {
          config["resumed_from"] = before->id;
          log_info("resuming run ", before->id, ": ", done.size(), " images already searched");
        }
      }
    }
    record_run(g, "recognition-gap", config, [&](Store& store, int64_t run) {
      const ClassifierPtr model = load_classifier(f->model, f->load);
      const DatasetPtr data = open_dataset(f->data);
      check_fits(*model, *data);
      std::vector<evaluation::RecognitionGap> results;
      Progress progress("recognition gap", data->size());
      for (int64_t i = 0; i < data->size(); ++i) {
        evaluation::RecognitionGap r;
        if (const auto it = done.find(i); it != done.end()) {
          r = it->second;
        } else {
          const Example e = data->get(i);
          r = evaluation::recognition_gap(*model, e.image, f->targets.empty() ? std::vector<int64_t>{e.label} : f->targets,
                                          f->search);
        }
        const nlohmann::json condition = {{"image", i}, {"children", f->children}};
        store.add_results(run, {{f->model, data->name(), condition, "recognition_gap", r.gap, 1},
                                {f->model, data->name(), condition, "mirc_size", static_cast<double>(r.mirc_size), 1},
                                {f->model, data->name(), condition, "p_mirc", r.p_mirc, 1},
                                {f->model, data->name(), condition, "p_sub_mirc", r.p_sub_mirc, 1}});
        results.push_back(std::move(r));
        progress.advance();
      }
      progress.finish();
      const evaluation::GapSummary s = evaluation::summarize(results);
      const nlohmann::json condition = {{"children", f->children}, {"images", s.images}};
      store.add_results(run, {{f->model, data->name(), condition, "mean_recognition_gap", s.mean_gap, s.with_mirc},
                              {f->model, data->name(), condition, "std_recognition_gap", s.std_gap, s.with_mirc},
                              {f->model, data->name(), condition, "mean_mirc_size", s.mean_mirc_size, s.with_mirc}});
      if (g.json) {
        print_json({{"run", run}, {"model", f->model}, {"dataset", data->name()}, {"children", f->children},
                    {"images", s.images}, {"with_mirc", s.with_mirc}, {"mean_gap", s.mean_gap},
                    {"std_gap", s.std_gap}, {"mean_mirc_size", s.mean_mirc_size}});
      } else {
        print_table({"model", "dataset", "images", "with a MIRC", "recognition gap", "MIRC size (px)"},
                    {{f->model, data->name(), std::to_string(s.images), std::to_string(s.with_mirc),
                      fixed(s.mean_gap, 3) + " ± " + fixed(s.std_gap, 3), fixed(s.mean_mirc_size, 1)}});
        std::cout << "(humans: 0.71 ± 0.05, Ullman et al. 2016; BagNet-33 on ImageNet with ullman4: 0.897 ± 0.176, "
                     "Funke et al. 2021)\n";
      }
    });
  });
}

}  // namespace robustlab::cli
