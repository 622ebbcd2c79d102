// robustlab eval: clean accuracy and error of a model on a dataset; with --corruptions, the
// corruption benchmark (error per corruption and severity, corrupted on the fly), optionally with
// test-time adaptation (--adapt).
#include <cmath>
#include <optional>
#include <tuple>
#include <iostream>
#include <sstream>

#include "common.h"

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/distributed/distributed.h"
#include "robustlab/evaluation/corruptions.h"
#include "robustlab/evaluation/selection.h"
#include "robustlab/evaluation/subsets.h"
#include "robustlab/models/predict.h"

namespace robustlab::cli {

namespace {

std::string lr_text(double lr) {
  std::ostringstream out;
  out << lr;
  return out.str();
}

// --select dev: the grid on the held-out corruptions, each candidate's mean error and the choice
// stored with the run (metric dev_error; selected_lr with the optimiser in its condition), a
// table printed (unless `quiet`), and `options` set to the best.
evaluation::Candidate select_on_dev(bool quiet, Store& store, int64_t run, const std::string& model, const std::string& dataset,
                   evaluation::CorruptionEvalOptions& options,
                   const std::function<std::vector<evaluation::CorruptionError>(
                       const evaluation::CorruptionEvalOptions&,
                       const std::function<void(const evaluation::CorruptionError&)>&)>& run_benchmark) {
  log_info("selecting the optimiser and learning rate of ", options.method(), " on the held-out corruptions");
  std::vector<std::vector<std::string>> rows;
  const evaluation::Selection sel = evaluation::select_on_dev(
      options, evaluation::default_grid(),
      [&](const evaluation::CorruptionEvalOptions& o) { return run_benchmark(o, {}); },
      [&](const evaluation::CandidateResult& r) {
        int64_t count = 0;
        for (const auto& e : r.errors) count += e.count;
        store.add_results(run, {{model, dataset,
                                 {{"phase", "selection"}, {"adapt", options.method()},
                                  {"optimizer", r.candidate.optimizer}, {"lr", r.candidate.lr}},
                                 "dev_error", r.mean_error, count}});
        rows.push_back({r.candidate.optimizer, lr_text(r.candidate.lr), fixed(r.mean_error, 4)});
      });
  store.add_results(run, {{model, dataset, {{"phase", "selection"}, {"adapt", options.method()},
                                            {"optimizer", sel.best.optimizer}}, "selected_lr", sel.best.lr, 1}});
  options.self_learning.optimizer = sel.best.optimizer;
  options.self_learning.lr = sel.best.lr;
  if (!quiet) {
    print_table({"optimizer", "lr", "mean dev error"}, rows);
    std::cout << "selected: " << sel.best.optimizer << " lr " << lr_text(sel.best.lr) << "\n\n";
  }
  return sel.best;
}

}  // namespace

void add_eval_command(CLI::App& app, Globals& g) {
  struct Flags {
    std::string model;
    DatasetOptions data;
    LoadOptions load;
    int64_t batch_size = 256;
    std::string corruptions;
    std::string severities = "1-5";
    std::string adapt = "none";
    std::string adapt_params;
    std::string frost_dir;
    std::string corrupted_dir;
    bool strict = false;
    bool restart = false;
    std::string subset;
    std::string select = "none";
    std::string preset;
    std::string protocol = "reset-each-shift";
    bool no_reset = false;
    int64_t baseline_run = 0;
    evaluation::CorruptionEvalOptions eval;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("eval", "Clean accuracy and error of a model on a dataset");
  cmd->add_option("--model", f->model,
                  "Checkpoint (from robustlab train) or TorchScript file (default: the default model of robustlab "
                  "benchmark, trained into the cache if needed)");
  add_dataset_flags(*cmd, f->data, "test");
  add_load_flags(*cmd, f->load);
  auto* batch_flag = cmd->add_option("--batch-size", f->batch_size, "Batch size (also the adaptation batch)")
                         ->check(CLI::PositiveNumber)
                         ->capture_default_str();
  cmd->add_option("--corruptions", f->corruptions,
                  "Evaluate on these corruptions, applied on the fly: all, benchmark, extra or names");
  cmd->add_option("--severities", f->severities, "Severities for --corruptions: 1-5, 3, 1,3,5")->capture_default_str();
  cmd->add_option("--adapt", f->adapt,
                  "Test-time adaptation: none, bn, ent, hard-pl, soft-pl, rpl (Rusak et al.), or the TTA benchmark's "
                  "tent, eta, eata, sar, cotta, rotta, roid, lame")
      ->capture_default_str();
  cmd->add_option("--bn-prior", f->eval.bn.prior, "BN adaptation: source prior N (0: full adaptation, inf: none)")
      ->capture_default_str();
  cmd->add_option("--adapt-params", f->adapt_params,
                  "Self-learning: bn-affine, norm-affine or all (default: bn-affine for ent/pl/rpl, norm-affine for "
                  "tent/eta/eata/sar/rotta/roid, all for cotta, as the benchmark)");
  auto* optimizer_flag =
      cmd->add_option("--optimizer", f->eval.self_learning.optimizer, "Self-learning: sgd or adam")->capture_default_str();
  auto* lr_flag = cmd->add_option("--lr", f->eval.self_learning.lr, "Self-learning: learning rate")->capture_default_str();
  auto* q_flag = cmd->add_option("--q", f->eval.self_learning.q, "RPL: GCE exponent q")->capture_default_str();
  auto* diversity_flag = cmd->add_option("--diversity-margin", f->eval.self_learning.diversity_margin,
                                         "ETA/EATA: a sample is redundant when |cos(p, moving mean p)| >= this")
                             ->capture_default_str();
  auto* fisher_flag =
      cmd->add_option("--fisher-alpha", f->eval.self_learning.fisher_alpha, "EATA: weight of the Fisher regulariser")
          ->capture_default_str();
  cmd->add_option("--entropy-margin", f->eval.self_learning.entropy_margin,
                  "ETA/EATA/SAR: samples with entropy below this x ln(classes) enter the loss")
      ->capture_default_str();
  auto* restore_flag = cmd->add_option("--restore-probability", f->eval.self_learning.restore_probability,
                                       "CoTTA: probability that a weight returns to its source value after a step")
                           ->capture_default_str();
  auto* confidence_flag =
      cmd->add_option("--confidence-threshold", f->eval.self_learning.confidence_threshold,
                      "CoTTA: below this mean source confidence the teacher averages augmented views")
          ->capture_default_str();
  cmd->add_option("--augmentations", f->eval.self_learning.augmentations, "CoTTA: augmented views the teacher averages")
      ->capture_default_str();
  cmd->add_option("--memory-size", f->eval.self_learning.memory_size,
                  "RoTTA: memory bank capacity, also the update interval in images")
      ->capture_default_str();
  cmd->add_option("--select", f->select,
                  "Self-learning with --corruptions: dev = first choose the optimiser and learning rate among "
                  "{sgd, adam} x {1e-4, 1e-3, 1e-2} by the mean error on the four held-out corruptions (speckle_noise, "
                  "gaussian_blur, spatter, saturate), then evaluate with the best; none = the flags as given")
      ->capture_default_str();
  cmd->add_option("--preset", f->preset,
                  "Self-learning: published settings (explicit flags win): rusak2021 = SGD lr 1e-3, batch 128, q 0.8; "
                  "benchmark = the TTA benchmark's ImageNet-C yaml (SGD, batch 64, lr 2.5e-4 tent/eta/eata/sar/ent, "
                  "5e-4 rpl, continual); benchmark-cifar10 = its CIFAR-10-C yaml (Adam lr 1e-3, batch 200, "
                  "ETA/EATA diversity margin 0.4, EATA Fisher weight 1, continual)");
  cmd->add_option("--steps-per-batch", f->eval.self_learning.steps_per_batch, "Self-learning: updates per batch")
      ->capture_default_str();
  cmd->add_option("--teacher-interval", f->eval.self_learning.teacher_interval,
                  "Self-learning: 1 = the student is its own teacher; k > 1 = a teacher copy refreshed every k steps")
      ->capture_default_str();
  cmd->add_flag("--episodic", f->eval.self_learning.episodic, "Self-learning: reset the weights before every batch");
  cmd->add_option("--epochs", f->eval.epochs,
                  "Self-learning: passes over each corruption and severity; the error is that of the last pass")
      ->capture_default_str();
  auto* protocol_flag =
      cmd->add_option("--protocol", f->protocol,
                      "With --corruptions and adaptation: reset-each-shift (every corruption and severity from the "
                      "original weights), continual (one learner through them in order), mixed (all their images "
                      "shuffled into one stream), correlated (continual, each condition ordered by label) or gradual "
                      "(continual, each corruption at severities 1-5-1 when one severity is given)")
          ->capture_default_str();
  auto* no_reset_flag = cmd->add_flag("--no-reset", f->no_reset, "The same as --protocol continual");
  cmd->add_option("--dirichlet", f->eval.dirichlet,
                  "--protocol correlated: Dirichlet concentration of the label order (0: sorted by label; small values "
                  "give long single-class runs)")
      ->capture_default_str();
  cmd->add_option("--window", f->eval.window,
                  "With --batch-size 1: the TTA benchmark's sliding window of the last N images (their batch "
                  "statistics; the method adapts on the window every N images)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--frost-dir", f->frost_dir, "ImageNet-C frost textures (or ROBUSTLAB_FROST_DIR); else procedural");
  cmd->add_option("--corrupted-dir", f->corrupted_dir,
                  "Evaluate on pre-generated images in the ImageNet-C layout <dir>/<corruption>/<severity>/<class>/ "
                  "(centre crop --crop only, no resize) instead of corrupting on the fly; the clean error comes from "
                  "--dataset");
  cmd->add_option("--baseline-run", f->baseline_run,
                  "Normalise CE/mCE by the errors stored by this earlier eval run (e.g. the same model without "
                  "adaptation, or a baseline model) instead of AlexNet's ImageNet-C errors");
  cmd->add_flag("--restart", f->restart,
                "With --corruptions: measure every condition again instead of resuming an interrupted run with the "
                "same settings");
  cmd->add_flag("--strict", f->strict, "With --corrupted-dir: fail when a corruption or severity folder is missing");
  cmd->add_option("--subset", f->subset,
                  "imagenet-r, imagenet-a (the 200-class masked logits) or imagenet-d (the many-to-one mapping) for a "
                  "1000-class ImageNet model");
  cmd->callback([=, &g] {
    apply_globals(g);
    f->eval.set_method(f->adapt);
    if (!f->preset.empty()) {  // the preset's values, except where a flag was given
      const evaluation::CorruptionEvalOptions given = f->eval;
      f->eval.batch_size = f->batch_size;
      evaluation::apply_preset(f->preset, f->eval);
      if (batch_flag->count() == 0) f->batch_size = f->eval.batch_size;
      if (optimizer_flag->count() > 0) f->eval.self_learning.optimizer = given.self_learning.optimizer;
      if (lr_flag->count() > 0) f->eval.self_learning.lr = given.self_learning.lr;
      if (q_flag->count() > 0) f->eval.self_learning.q = given.self_learning.q;
      if (diversity_flag->count() > 0) f->eval.self_learning.diversity_margin = given.self_learning.diversity_margin;
      if (fisher_flag->count() > 0) f->eval.self_learning.fisher_alpha = given.self_learning.fisher_alpha;
      if (restore_flag->count() > 0) f->eval.self_learning.restore_probability = given.self_learning.restore_probability;
      if (confidence_flag->count() > 0)
        f->eval.self_learning.confidence_threshold = given.self_learning.confidence_threshold;
      if (protocol_flag->count() == 0 && no_reset_flag->count() == 0) f->protocol = to_string(f->eval.protocol);
    }
    f->eval.protocol = evaluation::parse_protocol(f->no_reset ? "continual" : f->protocol);
    if (f->select != "none" && f->select != "dev")
      throw InvalidArgument("eval: unknown --select '" + f->select + "' (expected none or dev)");
    if (f->select == "dev" && f->eval.adapt != evaluation::Adapt::kSelfLearning)
      throw InvalidArgument("eval: --select dev chooses self-learning hyper-parameters; use --adapt ent, hard-pl, "
                            "soft-pl or rpl");
    if (!f->adapt_params.empty()) f->eval.self_learning.adapted = adaptation::parse_adapted(f->adapt_params);
    f->eval.batch_size = f->batch_size;
    f->eval.seed = g.seed;
    f->eval.self_learning.seed = g.seed;
    if (!f->corrupted_dir.empty() && f->corruptions.empty()) f->corruptions = "benchmark";
    if (f->select == "dev" && f->corruptions.empty())
      throw InvalidArgument("eval: --select dev needs --corruptions (or --corrupted-dir)");
    if (!f->corruptions.empty()) {
      f->eval.corruptions = corruptions::parse_names(f->corruptions);
      f->eval.severities = corruptions::parse_severities(f->severities);
    }
    f->eval.validate();
    const corruptions::FrostTextures frost = corruptions::FrostTextures::resolve(
        f->frost_dir.empty() ? std::nullopt : std::optional<std::filesystem::path>(f->frost_dir));
    f->eval.corruption.frost = &frost;
    f->model = model_or_default(f->model);
    nlohmann::json config = {{"model", f->model}, {"dataset", dataset_config(f->data)}, {"batch_size", f->batch_size}};
    if (!f->subset.empty()) config["subset"] = f->subset;
    const auto& sl = f->eval.self_learning;
    config["adapt"] = f->eval.method();
    if (f->eval.adapt != evaluation::Adapt::kNone) config["protocol"] = to_string(f->eval.protocol);
    if (f->eval.protocol == evaluation::Protocol::kCorrelated) config["dirichlet"] = f->eval.dirichlet;
    if (f->eval.window > 1) config["window"] = f->eval.window;
    if (f->eval.adapt == evaluation::Adapt::kBn) config["bn_prior"] = f->eval.bn.prior;
    if (f->eval.adapt == evaluation::Adapt::kSelfLearning)
      config["self_learning"] = {{"params", f->adapt_params}, {"optimizer", sl.optimizer}, {"lr", sl.lr},
                                 {"q", sl.q}, {"steps_per_batch", sl.steps_per_batch},
                                 {"entropy_margin", sl.entropy_margin}, {"diversity_margin", sl.diversity_margin},
                                 {"fisher_alpha", sl.fisher_alpha}, {"restore_probability", sl.restore_probability},
                                 {"confidence_threshold", sl.confidence_threshold},
                                 {"augmentations", sl.augmentations}, {"memory_size", sl.memory_size},
                                 {"teacher_interval", sl.teacher_interval}, {"episodic", sl.episodic},
                                 {"epochs", f->eval.epochs},
                                 {"preset", f->preset}, {"select", f->select}};
    if (!f->corruptions.empty()) {
      if (!f->corrupted_dir.empty()) config["corrupted_dir"] = f->corrupted_dir;
      config["corruptions"] = f->eval.corruptions;
      config["severities"] = f->eval.severities;
      config["frost_textures"] = frost.description();
    }
    // The clean evaluation: without adaptation, or the whole dataset as one stream (e.g.
    // ImageNet-R/A/D) adapted batch by batch.
    auto clean_accuracy = [f](Classifier& model, const DatasetPtr& data, bool show_progress) -> AccuracyResult {
      if (f->eval.combine) {  // sharded
        const evaluation::CorruptionError e = f->eval.combine(evaluation::error_on(model, data, f->eval));
        return {e.count - std::llround(e.error * static_cast<double>(e.count)), e.count};
      }
      if (f->eval.adapt == evaluation::Adapt::kNone)
        return evaluate_accuracy(model, data, f->batch_size, show_progress ? "eval" : "");
      const int64_t passes = f->eval.adapt == evaluation::Adapt::kSelfLearning ? f->eval.epochs : 1;
      std::optional<Progress> progress;
      if (show_progress) progress.emplace("eval " + f->eval.method(), data->size() * passes);
      const evaluation::CorruptionError e =
          evaluation::error_on(model, data, f->eval, nullptr, progress ? &*progress : nullptr);
      return {e.count - std::llround(e.error * static_cast<double>(e.count)), e.count};
    };
    auto report_clean = [f, &g](Store& store, int64_t run, const std::string& dataset, const AccuracyResult& acc) {
      nlohmann::json condition = nlohmann::json::object();
      if (f->eval.adapt != evaluation::Adapt::kNone) condition["adapt"] = f->eval.method();
      store.add_results(run, {{f->model, dataset, condition, "accuracy", acc.accuracy(), acc.total},
                              {f->model, dataset, condition, "error", acc.error(), acc.total}});
      if (g.json) {
        print_json({{"run", run}, {"model", f->model}, {"dataset", dataset}, {"accuracy", acc.accuracy()},
                    {"error", acc.error()}, {"correct", acc.correct}, {"total", acc.total}});
      } else {
        print_table({"model", "dataset", "images", "accuracy", "error"},
                    {{f->model, dataset, std::to_string(acc.total), fixed(acc.accuracy(), 4), fixed(acc.error(), 4)}});
      }
    };
    // Launched on several ranks (torchrun's or Slurm's environment, or robustlab launch): every
    // condition is split into contiguous shards of whole batches, each rank evaluates its shard, the
    // errors are summed over ranks, and rank 0 alone records the run with the numbers of a single
    // process. Online adaptation is one stream and stays on one rank; episodic self-learning
    // (reset before every batch) shards like any evaluation.
    std::optional<distributed::ProcessGroup> group;
    if (const auto dist = distributed_options(g); dist && dist->world_size > 1) {
      f->eval.require_shardable();  // before the rendezvous: every rank stops with the same line
      group.emplace(*dist);
      group->check_same("eval configuration (flags, dataset or seed)", config.dump() + " seed " + std::to_string(g.seed));
      // Rank 0 creates the database before the others read it (to resume): a new SQLite file must
      // not be set up by several processes at once.
      if (group->is_main()) Store{g.db};
      group->barrier();
      f->eval.combine = [&group](const evaluation::CorruptionError& e) {
        const int64_t wrong = std::llround(e.error * static_cast<double>(e.count));
        const torch::Tensor sums = group->all_reduce_sum(torch::tensor({wrong, e.count}));
        const int64_t all = sums[1].item<int64_t>();
        return evaluation::CorruptionError{e.corruption, e.severity,
                                           all > 0 ? static_cast<double>(sums[0].item<int64_t>()) / static_cast<double>(all) : 0.0,
                                           all};
      };
    }
    // This rank's share of every condition (all of it on one process).
    auto shard = [&group, f](const DatasetPtr& data) {
      if (!group) return;
      std::tie(f->eval.first, f->eval.last) =
          distributed::contiguous_shard(data->size(), group->rank(), group->world_size(), f->batch_size);
      log_info("rank ", group->rank(), " of ", group->world_size(), ": images ", f->eval.first, "..", f->eval.last - 1,
               " of every condition");
    };
    if (!f->corruptions.empty() && !f->restart) {  // resume an interrupted run with the same settings
      const Store store(g.db);
      const auto before = interrupted_run(store, "eval", config);
      const auto stored = before ? stored_corruption_errors(store, before->id) : std::vector<evaluation::CorruptionError>{};
      if (!stored.empty()) {
        if (!f->eval.resumable()) {
          log_warning("run ", before->id, " with these settings was interrupted, but a ", to_string(f->eval.protocol),
                      " stream cannot resume; measuring every condition again");
        } else {
          f->eval.done = stored;
          config["resumed_from"] = before->id;
          log_info("resuming run ", before->id, ": ", f->eval.done.size(),
                   " conditions already measured are taken from it (--restart measures them again)");
        }
      }
    }
    // Every rank has read what an interrupted run measured before rank 0 begins the new run (which
    // would otherwise be the newest unfinished run a slower rank finds).
    if (group) group->barrier();
    record_run_ranked(g, !group || group->is_main(), "eval", config, [&](Store& store, int64_t run) {
      ClassifierPtr model = load_classifier(f->model, f->load);
      if (!f->subset.empty())
        model = std::make_shared<evaluation::SubsetClassifier>(model, evaluation::parse_subset(f->subset));
      const DatasetPtr data = open_dataset(f->data);
      check_fits(*model, *data);
      shard(data);
      if (!f->corruptions.empty()) {
        const std::string corrupted_name = f->corrupted_dir.empty() ? data->name() : f->corrupted_dir;
        log_info("corruption benchmark of ", model->description(), " on ", data->name(), " (", data->size(),
                 " images), adaptation: ", f->eval.method());
        const std::string method = f->eval.method();
        const std::string textures = !f->corrupted_dir.empty() ? "as on disk" : frost.is_procedural() ? "procedural" : "imagenet-c";
        int64_t segment = 0;  // the gradual stream's position (a corruption and severity occur twice)
        auto store_error = [&](const evaluation::CorruptionError& e) {
          nlohmann::json condition = {{"corruption", e.corruption}, {"severity", e.severity}, {"adapt", method},
                                      {"frost_textures", textures}};
          if (f->eval.adapt != evaluation::Adapt::kNone) condition["protocol"] = to_string(f->eval.protocol);
          if (f->eval.protocol == evaluation::Protocol::kGradual && e.corruption != "clean") condition["segment"] = segment++;
          store.add_results(run, {{f->model, e.corruption == "clean" ? data->name() : corrupted_name, condition, "error",
                                   e.error, e.count}});
        };
        auto run_benchmark = [&](const evaluation::CorruptionEvalOptions& o,
                                 const std::function<void(const evaluation::CorruptionError&)>& on_result) {
          if (f->corrupted_dir.empty()) return evaluation::evaluate_corruptions(*model, data, o, on_result);
          const ImageTransform transform{0, f->data.transform.crop, f->data.transform.grayscale};
          return evaluation::evaluate_corrupted_folder(*model, f->corrupted_dir, data, o, transform,
                                                       f->data.class_list, f->strict, on_result);
        };
        nlohmann::json selected;
        if (f->select == "dev") {
          const evaluation::Candidate best = select_on_dev(g.json, store, run, f->model, corrupted_name, f->eval, run_benchmark);
          selected = {{"optimizer", best.optimizer}, {"lr", best.lr}};
        }
        const std::vector<evaluation::CorruptionError> errors = run_benchmark(f->eval, store_error);
        // mCE against AlexNet's ImageNet-C errors (meaningful for ImageNet models on ImageNet data)
        // or against the errors an earlier run stored.
        std::map<std::string, double> baseline = evaluation::alexnet_errors();
        double baseline_clean = evaluation::kAlexNetCleanError;
        std::string baseline_name = "alexnet";
        if (f->baseline_run > 0) {
          const std::vector<evaluation::CorruptionError> stored = stored_corruption_errors(store, f->baseline_run);
          if (stored.empty())
            throw InvalidArgument("eval: run " + std::to_string(f->baseline_run) + " stored no corruption errors");
          baseline = evaluation::mean_errors(stored);
          baseline_clean = evaluation::summarize(stored, baseline, 0).clean_error;
          baseline_name = "run " + std::to_string(f->baseline_run);
        }
        const evaluation::CeSummary summary = evaluation::summarize(errors, baseline, baseline_clean);
        // The TTA benchmark's two numbers: the mean error over every segment, and over those at severity 5.
        double all = 0, at5 = 0;
        int64_t n_all = 0, n_at5 = 0;
        for (const auto& e : errors) {
          if (e.corruption == "clean") continue;
          all += e.error;
          ++n_all;
          if (e.severity == 5) {
            at5 += e.error;
            ++n_at5;
          }
        }
        const nlohmann::json condition = {{"adapt", method}, {"baseline", baseline_name},
                                          {"corruptions", summary.corruptions}, {"frost_textures", textures}};
        store.add_results(run, ce_rows(f->model, data->name(), condition, summary, data->size()));
        if (g.json) {
          nlohmann::json rows = nlohmann::json::array();
          for (const auto& e : errors)
            rows.push_back({{"corruption", e.corruption}, {"severity", e.severity}, {"error", e.error}, {"count", e.count}});
          print_json({{"run", run}, {"model", f->model}, {"dataset", data->name()}, {"adapt", method},
                      {"errors", rows}, {"mce", summary.mce}, {"relative_mce", summary.relative_mce},
                      {"mce_baseline", baseline_name}, {"selected", selected},
                      {"mean_error", n_all ? all / static_cast<double>(n_all) : 0.0},
                      {"mean_error_severity5", n_at5 ? at5 / static_cast<double>(n_at5) : 0.0},
                      {"benchmark_corruptions", summary.corruptions}, {"frost_textures", frost.description()}});
        } else {
          print_corruption_table({{method, summary}});
          std::cout << "(mCE relative to " << (f->baseline_run > 0 ? baseline_name : "AlexNet's ImageNet-C errors")
                    << " over " << summary.corruptions
                    << " of the 15 benchmark corruptions" << (textures == "procedural" ? "; frost with procedural textures" : "")
                    << ")\n";
          if (n_all > 0)
            std::cout << "mean error over " << n_all << " conditions: " << fixed(all / static_cast<double>(n_all), 4)
                      << (n_at5 > 0 && n_at5 < n_all ? ", at severity 5: " + fixed(at5 / static_cast<double>(n_at5), 4) : "")
                      << "\n";
        }
        return;
      }
      log_info("evaluating ", model->description(), " on ", data->name(), " (", data->size(), " images)",
               f->eval.adapt == evaluation::Adapt::kNone ? "" : ", adaptation: " + f->eval.method());
      report_clean(store, run, data->name(), clean_accuracy(*model, data, true));
    });
    if (group) group->barrier();  // every rank ends after rank 0 has stored the run
  });
}

}  // namespace robustlab::cli
