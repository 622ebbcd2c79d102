// robustlab pitfalls: the case-study evaluations of Funke et al. 2021 — `pitfalls contour`: a
// closed/open classifier on contour sets (robustlab stimuli contour), accuracy at threshold 0 and
// at the optimised decision criterion, as the paper reports its generalisation table; `pitfalls
// svrt`: the SVRT training-set-size study (same-different against spatial problems).
#include <iostream>

#include "common.h"
#include "pitfalls_runs.h"

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/data/image_folder.h"
#include "robustlab/core/paths.h"
#include "robustlab/evaluation/decision_criterion.h"
#include "robustlab/stimuli/contours.h"
#include "robustlab/stimuli/svrt.h"

namespace robustlab::cli {

void add_pitfalls_command(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("pitfalls", "Evaluations of the human-machine comparison case studies (Funke et al. 2021)");
  cmd->require_subcommand(1);
  struct Flags {
    std::string model;
    std::vector<std::string> sets;
    LoadOptions load;
    int size = 64;
    bool grayscale = false;
    int64_t batch_size = 128;
    ContourStudyOptions study;
  };
  auto f = std::make_shared<Flags>();
  auto* contour = cmd->add_subcommand(
      "contour",
      "The closed-contour study: without --model, generates the training set and the test sets, trains a model "
      "from scratch and evaluates it; with --model, evaluates that closed/open classifier on contour set folders. "
      "Accuracy at threshold 0 and at the optimised decision criterion, per set");
  contour->add_option("--model", f->model,
                      "Checkpoint or TorchScript file of a 2-class model (closed = 0, open = 1) to evaluate instead of "
                      "training one");
  contour->add_option("--sets", f->sets,
                      "With --model: contour set folders (from robustlab stimuli contour); without: the sets to test "
                      "on, by name (default: all of " + comma_list(stimuli::contour_set_names()) + ")")
      ->delimiter(',');
  add_load_flags(*contour, f->load);
  contour->add_option("--size", f->size, "Images are resized to this side (as the model was trained)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  contour->add_flag("--grayscale", f->grayscale, "With --model: read the images as one channel (the study always does)");
  contour->add_option("--batch-size", f->batch_size, "Batch size for evaluation")->check(CLI::PositiveNumber)->capture_default_str();
  contour->add_option("--repetitions", f->study.repetitions, "Training set: repetitions of the 7 polygon sizes, 14 images each")
      ->capture_default_str();
  contour->add_option("--test-repetitions", f->study.test_repetitions, "Each test set: repetitions (14 images each)")
      ->capture_default_str();
  contour->add_option("--epochs", f->study.epochs, "Training epochs")->capture_default_str();
  contour->add_option("--lr", f->study.lr, "Learning rate (Adam, cosine decay)")->capture_default_str();
  contour->add_option("--arch", f->study.arch, "Zoo architecture to train")->capture_default_str();
  contour->add_option("--data", f->study.data, "Folder of the generated sets and the model (default: <cache>/contours/seed<seed>)");
  contour->callback([f, &g] {
    apply_globals(g);
    const bool study = f->model.empty();
    if (study) {
      f->study.sets = f->sets.empty() ? stimuli::contour_set_names() : f->sets;
      f->study.size = f->size;
      f->study.seed = g.seed;
      if (f->study.data.empty()) f->study.data = default_cache_dir() / "contours" / ("seed" + std::to_string(g.seed));
      f->study.validate();
    } else if (f->sets.empty()) {
      throw InvalidArgument("pitfalls contour: --model needs --sets (the contour set folders to evaluate on)");
    }
    const nlohmann::json config = study ? nlohmann::json{{"study", f->study.to_json()}}
                                        : nlohmann::json{{"model", f->model}, {"sets", f->sets}, {"size", f->size},
                                                         {"grayscale", f->grayscale}};
    record_run(g, "pitfalls contour", config, [&](Store& store, int64_t run) {
      std::vector<std::filesystem::path> folders;
      std::string model_path = f->model;
      if (study) {
        model_path = train_contour_model(store, run, f->study).string();
        for (const std::string& set : f->study.sets) folders.push_back(f->study.data / "test" / set);
      } else {
        folders.assign(f->sets.begin(), f->sets.end());
      }
      const ClassifierPtr model = load_classifier(model_path, f->load);
      std::vector<std::vector<std::string>> rows;
      nlohmann::json out = nlohmann::json::array();
      for (const auto& folder : folders) {
        const ContourSetResult r = evaluate_contour_set(store, run, model_path, *model, folder,
                                                        ImageTransform{f->size, f->size, study || f->grayscale}, f->batch_size);
        const auto& c = r.accuracy;
        rows.push_back({r.set, std::to_string(r.images), fixed(c.at_zero, 4), fixed(c.optimised, 4), fixed(c.threshold, 3)});
        out.push_back({{"set", r.set}, {"images", r.images}, {"accuracy", c.at_zero}, {"accuracy_optimised", c.optimised},
                       {"threshold", c.threshold}});
        log_info(r.set, ": ", c.at_zero, " at threshold 0, ", c.optimised, " at the optimised criterion");
      }
      if (g.json)
        print_json({{"run", run}, {"model", model_path}, {"sets", out}});
      else
        print_table({"set", "images", "accuracy (threshold 0)", "accuracy (optimised criterion)", "criterion"}, rows);
    });
  });

  auto s = std::make_shared<SvrtStudyOptions>();
  s->problems = {1, 15, 22, 2, 4, 11};
  s->sizes = {100, 1000, 10000};
  auto restart = std::make_shared<bool>(false);
  auto* svrt = cmd->add_subcommand(
      "svrt",
      "The SVRT training-set-size study: a model trained from scratch per problem and size, test accuracy per "
      "problem and per task group (same-different vs spatial); resumes an interrupted run");
  svrt->add_option("--problems", s->problems, "SVRT problems 1-23, comma-separated")
      ->delimiter(',')
      ->check(CLI::Range(1, stimuli::kSvrtProblems))
      ->capture_default_str();
  svrt->add_option("--sizes", s->sizes, "Training-set sizes (half of each class; the reference: 28000,1000,100)")
      ->delimiter(',')
      ->capture_default_str();
  svrt->add_option("--presentations", s->presentations,
                   "Training images shown per model (epochs = presentations / size; the reference: 280000)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  svrt->add_option("--lrs", s->lrs, "Learning rates to try; the best on the validation set is reported")
      ->delimiter(',')
      ->capture_default_str();
  svrt->add_option("--arch", s->arch, "Zoo architecture (128x128 grayscale input)")->capture_default_str();
  svrt->add_option("--batch-size", s->batch_size, "Batch size (the reference's 64)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  svrt->add_option("--val-samples", s->val_samples, "Validation images per problem")->capture_default_str();
  svrt->add_option("--test-samples", s->test_samples, "Test images per problem")->capture_default_str();
  svrt->add_option("--data", s->data, "Folder of the generated sets (default: <cache>/svrt/seed<seed>)");
  svrt->add_flag("--restart", *restart, "Train every model again instead of resuming an interrupted run");
  svrt->callback([s, &g, restart] {
    apply_globals(g);
    s->seed = g.seed;
    if (s->data.empty()) s->data = default_cache_dir() / "svrt" / ("seed" + std::to_string(g.seed));
    s->validate();
    nlohmann::json config = s->to_json();
    std::vector<SvrtCell> done;
    if (!*restart) {
      const Store store(g.db);
      if (const auto before = interrupted_run(store, "pitfalls svrt", config)) {
        done = stored_svrt_cells(store, before->id);
        if (!done.empty()) {
          config["resumed_from"] = before->id;
          log_info("resuming run ", before->id, ": ", done.size(), " models already trained");
        }
      }
    }
    record_run(g, "pitfalls svrt", config, [&](Store& store, int64_t run) {
      const SvrtSummary summary = run_svrt_study(store, run, *s, done);
      if (g.json) {
        nlohmann::json out = svrt_summary_json(summary);
        out["run"] = run;
        print_json(out);
      } else {
        print_svrt_summary(*s, summary);
      }
    });
  });
}

}  // namespace robustlab::cli
