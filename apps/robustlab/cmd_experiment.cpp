// robustlab experiment: the feature-visualisation psychophysics of Borowski et al. 2021
// (arXiv:2010.12606) — `stimuli` (natural exemplars and feature visualisations of units of any
// model; `--list-layers`), `serve` (the web 2AFC experiment), `simulate` (simulated observers) and
// `analyze` (accuracy per condition, layer and participant with bootstrap intervals, reaction times
// and confidence, of this experiment's answers or of the paper's published main-trial CSVs).
#include <iostream>

#include "common.h"
#include "experiment_runs.h"

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/data/open.h"
#include "robustlab/models/load.h"
#include "robustlab/psychophysics/analysis.h"
#include "robustlab/psychophysics/design.h"
#include "robustlab/psychophysics/web_experiment.h"

namespace robustlab::cli {
namespace {

using psychophysics::TrialRecord;

void add_design_flags(CLI::App& cmd, psychophysics::DesignOptions& d, std::string& stimuli) {
  cmd.add_option("--stimuli", stimuli, "Stimulus set written by `experiment stimuli`")->capture_default_str();
  cmd.add_option("--main-trials", d.main_trials, "Main trials per block")->check(CLI::Range(1, 1000))->capture_default_str();
  cmd.add_option("--catch-trials", d.catch_trials, "Catch trials per block with references")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  cmd.add_option("--references", d.references, "Max and min reference images shown")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd.add_flag("!--no-none-blocks", d.none_blocks, "Leave out the blocks without references (none_pre, none_post)");
  cmd.add_option("--design-seed", d.seed, "Seed of the sessions' randomisation")->capture_default_str();
}

/// Accuracy per condition (and layout), its breakdown, reaction times and confidence; stored and printed.
void report_accuracy(const Globals& g, std::vector<TrialRecord> trials, const std::string& observers,
                     const std::string& name, const std::string& by, double min_catch, const nlohmann::json& config) {
  const auto catches = psychophysics::catch_accuracy(trials);
  std::set<std::string> excluded;
  for (const auto& [p, a] : catches)
    if (a < min_catch) excluded.insert(p);
  std::erase_if(trials, [&](const TrialRecord& t) { return excluded.count(t.participant) > 0; });
  const ConditionSummary summary = summarize_conditions(trials, g.seed);
  if (summary.accuracy.empty()) throw InvalidArgument("experiment analyze: " + name + " has no main, non-catch trials");
  std::map<std::string, psychophysics::Estimate> breakdown;
  if (by == "layer")
    breakdown = psychophysics::accuracy_by(trials, [](const TrialRecord& t) { return t.condition + " · " + t.layer; }, g.seed);
  if (by == "participant")
    breakdown = psychophysics::accuracy_by(trials, [](const TrialRecord& t) { return t.condition + " · " + t.participant; }, g.seed);
  record_run(g, "experiment analyze", config, [&](Store& store, int64_t run) {
    std::vector<ResultRow> rows = condition_rows(summary, observers, name);
    for (const auto& [key, e] : breakdown) rows.push_back({observers, name, {{by, key}}, "accuracy", e.mean, e.participants});
    store.add_results(run, rows);
    if (g.json) {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [key, e] : summary.accuracy)
        out[key] = {{"accuracy", e.mean}, {"ci", {e.ci_low, e.ci_high}}, {"participants", e.participants}, {"trials", e.trials}};
      print_json(out);
      return;
    }
    std::cout << name << ": main, non-catch trials (optimized = synthetic references)\n";
    print_condition_summary(summary);
    if (!breakdown.empty()) {
      std::vector<std::vector<std::string>> more;
      for (const auto& [key, e] : breakdown)
        more.push_back({key, std::to_string(e.trials), fixed(e.mean, 3), "[" + fixed(e.ci_low, 3) + ", " + fixed(e.ci_high, 3) + "]"});
      std::cout << "\n";
      print_table({"condition · " + by, "trials", "accuracy", "95% CI"}, more);
    }
    if (!catches.empty()) {
      double lowest = 1;
      for (const auto& [p, a] : catches) lowest = std::min(lowest, a);
      std::cout << "catch trials: " << catches.size() << " participants, lowest accuracy " << fixed(lowest, 3);
      if (!excluded.empty()) std::cout << "; " << excluded.size() << " excluded below " << fixed(min_catch, 2);
      std::cout << "\n";
    }
  });
}

}  // namespace

void add_experiment_command(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("experiment", "The feature-visualisation 2AFC experiment (Borowski et al. 2021)");
  cmd->require_subcommand(1);
  struct Flags {
    std::string model;
    LoadOptions load;
    DatasetOptions data;
    std::vector<std::string> units;
    bool list_layers = false;
    std::string out = "experiment-stimuli";
    psychophysics::StimulusOptions stimuli;
    int64_t steps = 2560;
    double diversity = -1;  // the reference's 1e2, or 1 for the default model
    int64_t input_size = 0;
    std::string dir = "experiment-stimuli";
    psychophysics::DesignOptions design;
    std::string host = "127.0.0.1";
    int port = 8080;
    int64_t max_participants = 0;
    psychophysics::SimulateOptions simulate;
    std::string published;
    std::string by = "condition";
    double min_catch = 0;
    bool simulated = false;
  };
  auto f = std::make_shared<Flags>();

  auto* stimuli = cmd->add_subcommand(
      "stimuli", "Natural exemplars and feature visualisations (max and min) of units of a model, written once as PNGs");
  stimuli->add_option("--model", f->model, "TorchScript file or robustlab checkpoint (default: the default model)");
  add_load_flags(*stimuli, f->load);
  add_dataset_flags(*stimuli, f->data, "test");
  stimuli->add_option("--units", f->units,
                      "Units as layer:channel, comma-separated (default for the default model: "
                      "layer2_2:0,layer2_2:1,layer3_2:0,layer3_2:1)")
      ->delimiter(',');
  stimuli->add_flag("--list-layers", f->list_layers, "Print the model's layers with their output shapes and stop");
  stimuli->add_option("--out", f->out, "Output directory")->capture_default_str();
  stimuli->add_option("--images", f->stimuli.images, "Images per natural batch and per synthetic batch (max and min each)")
      ->check(CLI::Range(2, 1000))
      ->capture_default_str();
  stimuli->add_option("--batches", f->stimuli.batches, "Natural batches per unit")->check(CLI::Range(1, 10000))->capture_default_str();
  stimuli->add_option("--steps", f->steps, "Optimisation steps of the feature visualisation")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}))
      ->capture_default_str();
  stimuli->add_option("--diversity", f->diversity,
                      "Weight of lucid's diversity term (0: none). Default: the reference's 1e2; 1 for the default model, "
                      "on which 1e2 outweighs the channel's mean and keeps the images below the natural maximum")
      ->check(CLI::NonNegativeNumber);
  stimuli->add_option("--input-size", f->input_size,
                      "Resize transformed images to this side before the model (models with a fixed input size; 0: no)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  stimuli->callback([f, &g] {
    apply_globals(g);
    const bool default_model_used = f->model.empty();
    const ClassifierPtr model = load_classifier(model_or_default(f->model), f->load);
    const DatasetPtr data = open_dataset(f->data);
    check_fits(*model, *data);
    const torch::Tensor example = data->get(0).image.unsqueeze(0);
    if (f->list_layers) {
      torch::NoGradGuard no_grad;
      std::vector<std::vector<std::string>> rows;
      for (const auto& layer : model->layer_names()) {
        std::string shape;
        try {
          shape = c10::str(model->layer_output(example, layer).sizes());
        } catch (const Error& e) {
          shape = std::string("(") + e.what() + ")";
        }
        rows.push_back({layer, shape});
      }
      if (rows.empty()) throw InvalidArgument(model->description() + " exposes no layers");
      print_table({"layer", "output for one " + c10::str(example.sizes()) + " image"}, rows);
      return;
    }
    if (f->units.empty()) {
      if (!default_model_used) throw InvalidArgument("experiment stimuli: --units is required for a model of your own (see --list-layers)");
      f->units = default_experiment_units();
    }
    auto& o = f->stimuli;
    o.units = parse_units(f->units);
    o.vis = psychophysics::FeatureVisOptions::scaled_to(example.size(3));
    o.vis.layer = o.units.front().layer;
    o.vis.channels = example.size(1) == 1 ? 1 : 3;
    o.vis.steps = f->steps;
    o.vis.diversity = f->diversity >= 0 ? f->diversity : default_model_used ? 1.0 : 1e2;
    o.vis.input_size = f->input_size;
    o.vis.seed = g.seed;
    o.seed = g.seed;
    o.validate();
    for (const auto& u : o.units) model->layer_output(example, u.layer);  // an unknown layer fails before any work
    const nlohmann::json config = {{"model", model->description()}, {"data", dataset_config(f->data)}, {"units", f->units},
                                   {"images", o.images}, {"batches", o.batches}, {"steps", f->steps},
                                   {"diversity", o.vis.diversity}, {"out", f->out}};
    record_run(g, "experiment stimuli", config, [&](Store& store, int64_t run) {
      const auto manifest = psychophysics::write_stimuli(*model, data, o, f->out, [](const std::string& line) { log_info(line); });
      store.add_results(run, stimulus_rows(manifest, model->description(), *data));
      std::cout << "stimuli of " << manifest["units"].size() << " units written to " << f->out << "\n";
      print_stimulus_summary(manifest);
    });
  });

  auto* serve = cmd->add_subcommand("serve", "Run the experiment in the browser: participants answer at http://HOST:PORT/");
  add_design_flags(*serve, f->design, f->dir);
  serve->add_option("--host", f->host, "Address to bind (only this machine by default; 0.0.0.0 opens it to the network)")
      ->capture_default_str();
  serve->add_option("--port", f->port, "TCP port (0: any free port)")->check(CLI::Range(0, 65535))->capture_default_str();
  serve->add_option("--max-participants", f->max_participants, "Refuse new participants after this many (0: no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve->callback([f, &g] {
    apply_globals(g);
    Store store(g.db);
    psychophysics::WebExperiment experiment(
        store, psychophysics::WebExperimentOptions{.stimuli = f->dir, .design = f->design,
                                                   .server = HttpServerOptions{.host = f->host, .port = f->port},
                                                   .max_participants = f->max_participants});
    const int port = experiment.bind();
    const std::string base = "http://" + f->host + ":" + std::to_string(port);
    const auto status = experiment.status();
    std::cout << "experiment run " << experiment.run_id() << " (" << status["participants"] << " participants so far, "
              << status["trials_per_session"] << " trials per session)\n"
              << "participants: " << base << "/\n"
              << "operator:     " << base << "/operator?token=" << experiment.operator_token() << "\n"
              << "Ctrl-C stops; answers are stored as they arrive in " << g.db << std::endl;
    experiment.serve();
    std::cout << "stopped: " << experiment.status()["answers"] << " answers stored" << std::endl;
  });

  auto* simulate = cmd->add_subcommand(
      "simulate", "Add simulated participants who answer from the model's recorded activations with noise");
  add_design_flags(*simulate, f->design, f->dir);
  simulate->add_option("--participants", f->simulate.participants, "Simulated participants")
      ->check(CLI::Range(int64_t{1}, int64_t{100000}))
      ->capture_default_str();
  simulate->add_option("--noise", f->simulate.noise, "Decision noise, in units of the unit's natural activation range")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  simulate->callback([f, &g] {
    apply_globals(g);
    Store store(g.db);
    const auto manifest = psychophysics::read_manifest(f->dir);
    const int64_t run = psychophysics::experiment_run(store, f->dir, manifest, f->design, /*simulated=*/true);
    f->simulate.seed = g.seed;
    psychophysics::simulate_observers(store, run, manifest, f->design, f->simulate);
    std::cout << f->simulate.participants << " simulated participants answered their sessions in experiment run " << run
              << " (analyze with --simulated)\n";
  });

  auto* analyze = cmd->add_subcommand(
      "analyze",
      "Accuracy per condition (mean over participants, 95% bootstrap interval over participants), reaction times "
      "and confidence: of this experiment's answers (--stimuli) or of the published main-trial CSVs of "
      "bethgelab/testing_visualizations (--published)");
  auto* published = analyze->add_option("--published", f->published,
                                        "experiment_I_main_practice_catch_repeated_trials_preprocessed.csv or "
                                        "experiment_II_main_practice_catch_trials_preprocessed.csv");
  add_design_flags(*analyze, f->design, f->dir);
  analyze->add_option("--by", f->by, "Also break the accuracy down by: condition (only), layer or participant")
      ->check(CLI::IsMember({"condition", "layer", "participant"}))
      ->capture_default_str();
  analyze->add_flag("--simulated", f->simulated, "Analyse the simulated observers' run instead of the participants'");
  analyze->add_option("--min-catch", f->min_catch, "Exclude participants whose catch-trial accuracy is below this")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  analyze->callback([f, &g, published] {
    apply_globals(g);
    if (published->count() > 0) {
      const auto trials = psychophysics::read_published_trials(f->published);
      report_accuracy(g, trials, "humans", std::filesystem::path(f->published).filename().string(), f->by, f->min_catch,
                      {{"published", f->published}, {"by", f->by}, {"min_catch", f->min_catch}});
      return;
    }
    const auto manifest = psychophysics::read_manifest(f->dir);
    std::vector<TrialRecord> trials;
    {
      Store store(g.db);
      const auto run = psychophysics::find_experiment_run(store, f->dir, manifest, f->design, f->simulated);
      if (!run)
        throw InvalidArgument("experiment analyze: no " + std::string(f->simulated ? "simulated " : "") +
                              "experiment run for the stimuli in '" + f->dir + "' with this design in " + g.db);
      trials = psychophysics::experiment_records(manifest, psychophysics::experiment_answers(store, *run, manifest, f->design));
    }
    if (trials.empty()) throw InvalidArgument("experiment analyze: no answers yet for the stimuli in '" + f->dir + "' with this design");
    report_accuracy(g, trials, f->simulated ? "simulated observers" : "participants", std::filesystem::path(f->dir).filename().string(), f->by, f->min_catch,
                    {{"stimuli", f->dir}, {"design", f->design.to_json()}, {"simulated", f->simulated}, {"by", f->by},
                     {"min_catch", f->min_catch}});
  });
}

}  // namespace robustlab::cli
