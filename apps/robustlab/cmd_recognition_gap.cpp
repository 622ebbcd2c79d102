// robustlab recognition-gap: the minimal-recognisable-image search of Funke et al. 2021 (after
// Ullman et al. 2016) for any classifier; per image the MIRC size, p(MIRC), p(sub-MIRC) and the
// gap go to the store as they are found (an interrupted run resumes), then the summary.
#include <iostream>
#include <map>

#include "common.h"
#include "pitfalls_runs.h"

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
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
        done = stored_recognition_gaps(store, before->id);
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
      const evaluation::GapSummary s =
          store_recognition_gaps(store, run, f->model, *model, data, f->targets, f->search, done);
      if (g.json) {
        print_json({{"run", run}, {"model", f->model}, {"dataset", data->name()}, {"children", f->children},
                    {"images", s.images}, {"with_mirc", s.with_mirc}, {"mean_gap", s.mean_gap},
                    {"std_gap", s.std_gap}, {"mean_mirc_size", s.mean_mirc_size}});
      } else {
        print_recognition_gap(f->model, data->name(), s);
      }
    });
  });
}

}  // namespace robustlab::cli
