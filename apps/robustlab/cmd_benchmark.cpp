// robustlab benchmark: the main job, in sections (--only / --skip choose them). Trains (or reuses
// from the cache) the default model on Fashion-MNIST, reports its clean error on the test set
// (clean), FMN's median minimal L0/L1/L2/Linf perturbations on a test subset (attacks) and its
// Fashion-MNIST-C errors without and with test-time adaptation (corruptions: BN adaptation,
// Schneider et al. 2020; ENT, Wang et al. 2021; RPL, Rusak et al. 2022; continual: the TTA
// benchmark's methods in one stream, Döbler et al.); the contrastive-
// identifiability study of Zimmermann et al. 2021 at a CPU scale (identifiability); SlowVAE
// against beta-VAE on dSprites (disentanglement, Klindt et al. 2021); the video slot-attention
// baseline and the connected-components predictor on VMDS-style videos and the seven challenge
// sets, scored with the MOT protocol of Weis et al. 2021 (objects); the recognition gap of the
// default model and the SVRT low-data gap between a same-different and a spatial problem (pitfalls,
// Funke et al. 2021); feature visualisations and natural exemplars of four units of the default
// model, answered by simulated observers in the 2AFC design (psychophysics, Borowski et al. 2021).
#include <algorithm>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include "common.h"
#include "identify_runs.h"
#include "objects_runs.h"
#include "experiment_runs.h"
#include "pitfalls_runs.h"
#include "slowvae_runs.h"

#include "robustlab/attacks/curves.h"
#include "robustlab/attacks/run.h"
#include "robustlab/core/log.h"
#include "robustlab/core/paths.h"
#include "robustlab/evaluation/corruptions.h"
#include "robustlab/evaluation/selection.h"
#include "robustlab/models/default_model.h"
#include "robustlab/models/predict.h"
#include "robustlab/core/error.h"
#include "robustlab/report/report.h"
#include "robustlab/representation/identify.h"

namespace robustlab::cli {
namespace {

// ENT and RPL in the benchmark: the library's defaults (Adam, lr 1e-2), chosen as the papers
// choose, on the four held-out dev corruptions (docs/adaptation.md has the selection).
const adaptation::SelfLearningOptions kSelfLearning{};

const std::vector<std::string> kSections = {"clean",           "attacks",         "corruptions", "continual",
                                            "identifiability", "disentanglement", "objects",     "pitfalls", "psychophysics"};

/// The error averaged over the corruptions (each already averaged over its severities).
double average_error(const evaluation::CeSummary& s) {
  double sum = 0;
  for (const auto& [corruption, error] : s.mean_error) sum += error;
  return s.mean_error.empty() ? 0.0 : sum / static_cast<double>(s.mean_error.size());
}

/// The sections to run from --only and --skip (comma-separated names).
std::set<std::string> chosen_sections(const std::string& only, const std::string& skip) {
  auto parse = [](const std::string& list, const char* flag) {
    std::set<std::string> out;
    std::stringstream in(list);
    for (std::string name; std::getline(in, name, ',');) {
      if (name.empty()) continue;
      if (std::find(kSections.begin(), kSections.end(), name) == kSections.end()) {
        std::string known;
        for (const auto& k : kSections) known += (known.empty() ? "" : ", ") + k;
        throw InvalidArgument(std::string("benchmark: unknown section '") + name + "' in " + flag + " (sections: " + known + ")");
      }
      out.insert(name);
    }
    return out;
  };
  std::set<std::string> sections = only.empty() ? std::set<std::string>(kSections.begin(), kSections.end()) : parse(only, "--only");
  for (const auto& name : parse(skip, "--skip")) sections.erase(name);
  if (sections.empty()) throw InvalidArgument("benchmark: --only/--skip leave no section to run");
  return sections;
}

/// The identifiability section: two rows of the synthetic table at the CPU scale, over three
/// seeds — the theory-matching box + Laplace row with the L1 loss, and the Gaussian negative control.
/// Seeds an interrupted run finished (`before`) are taken from it.
std::vector<SyntheticSummary> identifiability_section(Store& store, int64_t run, std::optional<int64_t> before,
                                                      uint64_t seed, int64_t steps) {
  std::vector<representation::SyntheticRow> rows;
  for (const auto& row : representation::synthetic_table(5, 512, steps, seed))
    if (row.name.rfind("box, Laplace", 0) == 0 || row.name.find("(control)") != std::string::npos) rows.push_back(row);
  std::map<std::string, std::map<std::string, double>> done;
  if (before) done = stored_synthetic_seeds(store, *before);
  return run_synthetic_rows(store, run, rows, 3, done);
}

/// What an interrupted benchmark run (`before`) stored under `metric` for `model` on `dataset`
/// with every key of `match` in its condition (a null value: the key is absent).
std::vector<StoredResult> stored_rows(const Store& store, std::optional<int64_t> before, const std::string& metric,
                                      const std::string& model, const std::string& dataset, const nlohmann::json& match) {
  std::vector<StoredResult> out;
  if (!before) return out;
  for (auto& r : store.results({.run_id = *before, .metric = metric, .model = model})) {
    if (r.row.dataset != dataset) continue;
    bool same = true;
    for (const auto& [key, value] : match.items())
      same = same && (value.is_null() ? !r.row.condition.contains(key) : r.row.condition.value(key, nlohmann::json()) == value);
    if (same) out.push_back(std::move(r));
  }
  return out;
}

/// The corruption errors of one method that an interrupted run stored (see stored_rows).
std::vector<evaluation::CorruptionError> stored_errors(const Store& store, std::optional<int64_t> before, const std::string& model,
                                                       const std::string& dataset, const nlohmann::json& match) {
  std::vector<evaluation::CorruptionError> out;
  for (const auto& r : stored_rows(store, before, "error", model, dataset, match))
    out.push_back({r.row.condition.at("corruption").get<std::string>(), r.row.condition.at("severity").get<int>(), r.row.value,
                   r.row.count});
  return out;
}

/// The disentanglement section: SlowVAE and the beta-VAE baseline on dSprites with LAP transitions,
/// the same step budget, every metric at the quick sizes. The checkpoints are cached by their
/// settings, so a second benchmark only evaluates.
struct DisentanglementRow {
  std::string model;
  nlohmann::json metrics;
};
std::vector<DisentanglementRow> disentanglement_section(Store& store, int64_t run, uint64_t seed, int64_t steps) {
  std::vector<DisentanglementRow> out;
  for (const bool slow : {true, false}) {
    representation::SlowVaeTrainOptions o;
    o.slow = slow;
    o.loss = representation::SlowVaeTrainOptions::model_defaults(slow);
    o.steps = steps;
    o.log_every = std::max<int64_t>(1, steps / 20);
    o.checkpoint_every = std::max<int64_t>(1, steps / 10);
    o.seed = seed;
    o.checkpoint = default_slowvae_checkpoint(o);
    std::filesystem::create_directories(o.checkpoint->parent_path());
    const std::string name = std::string(slow ? "slowvae" : "betavae") + "/dsprites/lap";
    out.push_back({name, train_and_evaluate_slowvae(o, "quick", store, run, name, seed)});
  }
  return out;
}

}  // namespace

void add_benchmark_command(CLI::App& app, Globals& g) {
  struct Flags {
    DefaultModelOptions model;
    DatasetOptions data;
    std::string cache_dir;
    int64_t attack_limit = 100;
    int64_t attack_steps = 100;
    int64_t corruption_limit = 500;
    std::string report = "robustlab-report.html";
    std::string only, skip;
    int64_t identify_steps = 2000;
    int64_t slowvae_steps = 3000;
    int64_t objects_steps = 3000;
    int64_t svrt_presentations = 10000;
    int64_t fv_steps = 256;
    int64_t gap_images = 100;
    bool restart = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("benchmark", "The default benchmark on Fashion-MNIST: clean error, FMN minimal perturbations and Fashion-MNIST-C with "
      "test-time adaptation for the default model");
  cmd->add_option("--cache-dir", f->cache_dir, "Where the default model is cached (default: ~/.cache/robustlab)");
  cmd->add_flag("--retrain", f->model.retrain, "Train the default model even if it is cached");
  cmd->add_option("--epochs", f->model.train.epochs, "Epochs for training the default model")->capture_default_str();
  cmd->add_option("--train-limit", f->model.train_limit,
                  "Train the default model on the first N training images (a quick look; cached apart from the "
                  "model trained on all 60,000)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--limit", f->data.subset.limit, "Evaluate on the first N test images")->check(CLI::PositiveNumber);
  cmd->add_option("--attack-limit", f->attack_limit, "FMN on the first N test images (0: no attacks)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--attack-steps", f->attack_steps, "FMN steps")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--report", f->report, "Where to write the HTML report of this run (empty: no report)")
      ->capture_default_str();
  cmd->add_option("--corruption-limit", f->corruption_limit,
                  "Fashion-MNIST-C (15 corruptions x 5 severities) on the first N test images (0: skip)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--only", f->only,
                  "Run only these sections (comma-separated): clean, attacks, corruptions, continual, "
                  "identifiability, disentanglement, objects, pitfalls, psychophysics");
  cmd->add_option("--skip", f->skip, "Skip these sections (comma-separated)");
  cmd->add_option("--identify-steps", f->identify_steps, "Identifiability: training steps per experiment")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--slowvae-steps", f->slowvae_steps, "Disentanglement: training steps of SlowVAE and beta-VAE")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--objects-steps", f->objects_steps, "Objects: training steps of the video slot-attention baseline")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--svrt-presentations", f->svrt_presentations,
                  "Pitfalls: training images shown to each SVRT model (problems 2 and 22, 1,000 training images; 0: "
                  "no SVRT)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--fv-steps", f->fv_steps,
                  "Psychophysics: feature-visualisation steps per unit and direction (the reference: 2560)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--gap-images", f->gap_images, "Pitfalls: the recognition gap on the first N test images")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag("--restart", f->restart,
                "Measure everything again, even when an interrupted benchmark with the same settings could be resumed");
  cmd->callback([f, &g] {
    apply_globals(g);
    std::set<std::string> sections = chosen_sections(f->only, f->skip);
    const int64_t continual_limit = f->corruption_limit;  // also with --only continual
    if (continual_limit == 0 && sections.erase("continual") > 0)
      log_info("--corruption-limit 0: no Fashion-MNIST-C images, so the continual section is skipped too");
    if (!sections.count("attacks")) f->attack_limit = 0;
    if (!sections.count("corruptions")) f->corruption_limit = 0;
    const bool needs_model =
        sections.count("clean") || sections.count("continual") || sections.count("pitfalls") ||
        sections.count("psychophysics") || f->attack_limit > 0 ||
        f->corruption_limit > 0;
    f->model.cache_dir = f->cache_dir;
    f->model.train.seed = g.seed;
    nlohmann::json config = {{"model", f->model.model.to_json()}, {"train", f->model.train.to_json()},
                             {"dataset", dataset_config(f->data)}, {"attack_limit", f->attack_limit},
                             {"attack_steps", f->attack_steps}, {"corruption_limit", f->corruption_limit},
                             {"self_learning", {{"optimizer", kSelfLearning.optimizer}, {"lr", kSelfLearning.lr}}},
                             {"frost_textures", corruptions::FrostTextures::procedural().description()},
                             {"sections", sections}, {"identify_steps", f->identify_steps},
                             {"slowvae_steps", f->slowvae_steps}, {"objects_steps", f->objects_steps},
                             {"svrt_presentations", f->svrt_presentations}, {"fv_steps", f->fv_steps},
                             {"train_limit", f->model.train_limit}, {"gap_images", f->gap_images}};
    // An interrupted benchmark with the same settings is resumed: what it measured (the clean error,
    // FMN's per-sample norms, each corruption condition, each finished continual stream, the
    // identifiability seeds, the recognition gap per image, the SVRT models) is taken from it and
    // stored again in this run. The studies' models resume from their checkpoints in the cache.
    std::optional<int64_t> before;
    if (!f->restart) {
      const Store store(g.db);
      if (const auto r = interrupted_run(store, "benchmark", config); r && !store.results({.run_id = r->id}).empty()) {
        before = r->id;
        config["resumed_from"] = r->id;
        log_info("resuming run ", r->id, ": what it measured is taken from it (--restart measures everything again)");
      }
    }
    int64_t run_id = 0;
    record_run(g, "benchmark", config, [&](Store& store, int64_t run) {
      run_id = run;
      std::optional<DefaultModel> dm;
      if (needs_model) {
        dm = default_model(f->model, [&](const EpochStats& s) {
          store.add_results(run, {{"default", "fashion-mnist/train", {{"epoch", s.epoch}}, "train_loss", s.loss, 60000}});
          log_epoch(s);
        });
      }
      const std::string model = dm ? "default:" + dm->model->config().arch : "";
      std::optional<AccuracyResult> acc;
      DatasetPtr test;
      if (sections.count("clean")) {
        test = open_dataset(f->data);
        for (const auto& r : stored_rows(store, before, "accuracy", model, test->name(), nlohmann::json::object()))
          if (r.row.condition.empty())
            acc = AccuracyResult{std::llround(r.row.value * static_cast<double>(r.row.count)), r.row.count};
        if (!acc) acc = evaluate_accuracy(*dm->model, test, 256, "clean");
        store.add_results(run, {{model, test->name(), nlohmann::json::object(), "error", acc->error(), acc->total},
                                {model, test->name(), nlohmann::json::object(), "accuracy", acc->accuracy(), acc->total}});
        log_info("clean: error ", fixed(acc->error(), 4), " on ", acc->total, " test images");
      }
      // FMN's median minimal norm per norm on a test subset (the default, box-aware mode).
      nlohmann::json attack_json = nlohmann::json::array();
      std::vector<std::vector<std::string>> attack_rows;
      if (f->attack_limit > 0) {
        DatasetOptions subset = f->data;
        subset.subset.limit = f->attack_limit;
        const DatasetPtr attacked = open_dataset(subset);
        for (auto norm : {attacks::Norm::kL0, attacks::Norm::kL1, attacks::Norm::kL2, attacks::Norm::kLinf}) {
          attacks::AttackSpec spec;
          spec.fmn.norm = norm;
          spec.fmn.steps = f->attack_steps;
          if (norm == attacks::Norm::kLinf) spec.fmn.alpha_init = 10.0;  // AttackBench's L-inf setting
          const nlohmann::json condition = {{"attack", "fmn"}, {"norm", attacks::to_string(norm)}};
          // Per sample, for the robustness curve: stored after each batch, and taken from an interrupted run.
          auto sample_row = [&](int64_t sample, double value) -> ResultRow {
            nlohmann::json c = condition;
            c["sample"] = sample;
            return {model, attacked->name(), c, "min_norm", value, 1};
          };
          std::map<int64_t, double> done;
          std::vector<ResultRow> rows;
          for (const auto& r : stored_rows(store, before, "min_norm", model, attacked->name(), condition)) {
            done[r.row.condition.at("sample").get<int64_t>()] = r.row.value;
            rows.push_back(r.row);
          }
          store.add_results(run, rows);
          const torch::Tensor norms = attacks::attack_dataset(
              *dm->model, attacked, spec, 100,
              [&](const attacks::BatchOutcome& o) {
                std::vector<ResultRow> batch;
                for (int64_t i = 0; i < o.indices.size(0); ++i)
                  batch.push_back(sample_row(o.indices[i].item<int64_t>(), o.result.norms[i].item<double>()));
                store.add_results(run, batch);
              },
              done);
          const attacks::NormSummary summary = attacks::summarize(norms);
          const double median = summary.median, success = summary.success_rate;
          store.add_results(run, {{model, attacked->name(), condition, "median_norm", median, norms.size(0)},
                                  {model, attacked->name(), condition, "success_rate", success, norms.size(0)}});
          log_info("FMN ", attacks::to_string(norm), ": median minimal perturbation ", fixed(median, 4), ", success rate ",
                   fixed(success, 4), " on ", norms.size(0), " images");
          attack_json.push_back({{"norm", attacks::to_string(norm)}, {"median_norm", median}, {"success_rate", success},
                                 {"images", norms.size(0)}});
          attack_rows.push_back({"fmn-" + attacks::to_string(norm), std::to_string(norms.size(0)), fixed(success, 4),
                                 fixed(median, 4)});
        }
      }
      // Fashion-MNIST-C: error per corruption without adaptation, with BN adaptation, ENT and RPL
      // (online, from the original weights for each corruption and severity); mCE normalised by the
      // default model without adaptation.
      nlohmann::json corruption_json = nlohmann::json::object();
      std::vector<CorruptionColumn> columns;
      if (f->corruption_limit > 0) {
        DatasetOptions subset = f->data;
        subset.subset.limit = f->corruption_limit;
        const DatasetPtr clean = open_dataset(subset);
        const std::string dataset = "fashion-mnist-c/" + clean->name();
        std::map<std::string, double> baseline;
        double baseline_clean = 0;
        for (const std::string method : {"none", "bn", "ent", "rpl"}) {
          evaluation::CorruptionEvalOptions options;
          options.set_method(method);
          options.seed = g.seed;
          options.batch_size = 64;  // 8 adaptation steps per corruption and severity on 500 images
          options.done = stored_errors(store, before, model, dataset, {{"adapt", method}, {"protocol", nullptr}});
          const auto errors = evaluation::evaluate_corruptions(
              *dm->model, clean, options, [&](const evaluation::CorruptionError& e) {
                store.add_results(run, {{model, dataset, {{"corruption", e.corruption}, {"severity", e.severity},
                                                          {"adapt", method}}, "error", e.error, e.count}});
              });
          if (method == "none") {
            baseline = evaluation::mean_errors(errors);
            baseline_clean = errors.front().error;
          }
          const evaluation::CeSummary summary = evaluation::summarize(errors, baseline, baseline_clean);
          const nlohmann::json condition = {{"adapt", method}, {"baseline", "default model, no adaptation"},
                                            {"frost_textures", "procedural"}};
          store.add_results(run, ce_rows(model, dataset, condition, summary, clean->size()));
          corruption_json[method] = {{"mean_error", summary.mean_error}, {"clean_error", summary.clean_error},
                                     {"mce", summary.mce}, {"relative_mce", summary.relative_mce}};
          log_info("Fashion-MNIST-C, ", method, ": mean error ", fixed(average_error(summary), 4), ", mCE ", fixed(summary.mce, 4));
          columns.push_back({method, summary});
        }
      }
      // The TTA benchmark's continual setting (tta.md §3.2): one stream through the 15 corruptions
      // at severity 5 in the benchmark order, batches of 64, never reset; source and BN rows, then
      // every gradient method with the library's defaults (Adam, lr 1e-2).
      std::vector<CorruptionColumn> continual;
      if (sections.count("continual")) {
        DatasetOptions subset = f->data;
        subset.subset.limit = continual_limit;
        const DatasetPtr clean = open_dataset(subset);
        const std::string dataset = "fashion-mnist-c/" + clean->name();
        std::map<std::string, double> baseline;
        double baseline_clean = 0;
        for (const std::string method :
             {"none", "bn", "tent", "eta", "eata", "sar", "cotta", "rotta", "rpl", "lame", "roid"}) {
          evaluation::CorruptionEvalOptions options;
          options.set_method(method);
          options.seed = g.seed;
          options.severities = {5};
          options.batch_size = 64;
          options.protocol = evaluation::Protocol::kContinual;
          if (options.adapt == evaluation::Adapt::kSelfLearning) {  // the benchmark's 10-class (CIFAR-10) margins
            const double lr = options.self_learning.lr;
            evaluation::apply_cifar10_benchmark(options.self_learning);
            options.self_learning.lr = lr;  // with the library's learning rate, chosen on the dev corruptions
          }
          auto store_error = [&](const evaluation::CorruptionError& e) {
            store.add_results(run, {{model, dataset, {{"corruption", e.corruption}, {"severity", e.severity},
                                                      {"adapt", method}, {"protocol", "continual"}}, "error", e.error, e.count}});
          };
          // From an interrupted run: a stream that depends on every earlier condition is taken only
          // when it finished (its summary was stored); the others resume condition by condition.
          const nlohmann::json match = {{"adapt", method}, {"protocol", "continual"}};
          std::vector<evaluation::CorruptionError> errors = stored_errors(store, before, model, dataset, match);
          if (!stored_rows(store, before, "mce", model, dataset, match).empty()) {
            for (const auto& e : errors) store_error(e);
          } else {
            if (options.resumable()) options.done = errors;
            errors = evaluation::evaluate_corruptions(*dm->model, clean, options, store_error);
          }
          if (method == "none") {
            baseline = evaluation::mean_errors(errors);
            baseline_clean = errors.front().error;
          }
          const evaluation::CeSummary summary = evaluation::summarize(errors, baseline, baseline_clean);
          store.add_results(run, ce_rows(model, dataset, {{"adapt", method}, {"protocol", "continual"},
                                                          {"baseline", "default model, no adaptation"}},
                                         summary, clean->size()));
          continual.push_back({method, summary});
          log_info("continual, ", method, ": mean error ", fixed(average_error(summary), 4));
        }
      }
      std::vector<SyntheticSummary> identifiability;
      if (sections.count("identifiability"))
        identifiability = identifiability_section(store, run, before, g.seed, f->identify_steps);
      std::vector<DisentanglementRow> disentanglement;
      if (sections.count("disentanglement")) disentanglement = disentanglement_section(store, run, g.seed, f->slowvae_steps);
      std::vector<ObjectsRow> objects;
      if (sections.count("objects")) objects = objects_section(store, run, g.seed, f->objects_steps);
      // The recognition gap (Funke et al. 2021) of the default model on the first test images.
      std::optional<evaluation::GapSummary> gap;
      DatasetPtr gap_data;
      if (sections.count("pitfalls")) {
        DatasetOptions subset = f->data;
        subset.subset.limit = f->gap_images;
        gap_data = open_dataset(subset);
        gap = store_recognition_gaps(store, run, model, *dm->model, gap_data, {}, {},
                                     before ? stored_recognition_gaps(store, *before) : std::map<int64_t, evaluation::RecognitionGap>{});
      }
      // SVRT at low data (Funke et al. 2021): a spatial (2) and a same-different problem (22), 1,000
      // training images each.
      std::optional<SvrtSummary> svrt;
      const SvrtStudyOptions svrt_options{.problems = {2, 22}, .sizes = {1000}, .presentations = f->svrt_presentations,
                                          .val_samples = 500, .test_samples = 1000,
                                          .data = (f->cache_dir.empty() ? default_cache_dir() : std::filesystem::path(f->cache_dir)) /
                                                  "svrt" / ("seed" + std::to_string(g.seed)),
                                          .seed = g.seed};
      if (sections.count("pitfalls") && f->svrt_presentations > 0)
        svrt = run_svrt_study(store, run, svrt_options, before ? stored_svrt_cells(store, *before) : std::vector<SvrtCell>{});
      // Feature visualisations vs. natural exemplars (Borowski et al. 2021): stimuli of four units of the
      // default model (kept in the cache), then simulated observers.
      std::optional<ConditionSummary> experiment;
      if (sections.count("psychophysics")) {
        const std::filesystem::path dir = (f->cache_dir.empty() ? default_cache_dir() : std::filesystem::path(f->cache_dir)) /
                                          "experiment-stimuli" / ("seed" + std::to_string(g.seed) + "-steps" + std::to_string(f->fv_steps));
        experiment = experiment_benchmark(store, run, *dm->model, open_dataset(f->data), dir, f->fv_steps, g.seed);
      }
      if (g.json) {
        nlohmann::json out = {{"run", run}, {"attacks", attack_json}, {"corruptions", corruption_json}};
        nlohmann::json cont = nlohmann::json::object();
        for (const auto& c : continual) cont[c.method] = {{"mean_error", c.summary.mean_error}, {"mce", c.summary.mce}};
        out["continual"] = cont;
        if (dm) {
          out["model"] = model;
          out["checkpoint"] = dm->checkpoint.string();
        }
        if (acc) {
          out["dataset"] = test->name();
          out["clean_error"] = acc->error();
          out["clean_accuracy"] = acc->accuracy();
          out["images"] = acc->total;
        }
        out["identifiability"] = synthetic_json(identifiability);
        nlohmann::json dis = nlohmann::json::object();
        for (const auto& row : disentanglement) dis[row.model] = row.metrics;
        out["disentanglement"] = dis;
        nlohmann::json obj = nlohmann::json::array();
        for (const auto& row : objects) {
          nlohmann::json m = row.metrics.to_json();
          m["model"] = row.model;
          m["set"] = row.set;
          if (!std::isnan(row.mse)) m["mse"] = row.mse;
          obj.push_back(m);
        }
        out["objects"] = obj;
        if (gap)
          out["recognition_gap"] = {{"images", gap->images}, {"with_mirc", gap->with_mirc}, {"mean_gap", gap->mean_gap},
                                    {"std_gap", gap->std_gap}, {"mean_mirc_size", gap->mean_mirc_size}};
        if (svrt) out["svrt"] = svrt_summary_json(*svrt);
        if (experiment) {
          nlohmann::json e = nlohmann::json::object();
          for (const auto& [key, est] : experiment->accuracy) e[key] = {{"accuracy", est.mean}, {"ci", {est.ci_low, est.ci_high}}};
          out["psychophysics"] = e;
        }
        print_json(out);
      } else {
        if (acc) {
          print_table({"model", "dataset", "images", "clean accuracy", "clean error"},
                      {{model, test->name(), std::to_string(acc->total), fixed(acc->accuracy(), 4), fixed(acc->error(), 4)}});
        }
        if (!attack_rows.empty()) {
          std::cout << "\nminimal adversarial perturbations (FMN, " << f->attack_steps << " steps)\n";
          print_table({"attack", "images", "success", "median norm"}, attack_rows);
        }
        if (!columns.empty()) {
          std::cout << "\nFashion-MNIST-C, first " << f->corruption_limit
                    << " test images, batches of 64 (error; mCE relative to the model without adaptation; ENT "
                       "and RPL online, Adam lr 1e-2, BN affine parameters; frost with procedural textures)\n";
          print_corruption_table(columns);
        }
        if (!continual.empty()) {
          std::cout << "\ncontinual test-time adaptation (the TTA benchmark's setting): Fashion-MNIST-C severity 5, "
                       "first "
                    << continual_limit << " test images, one stream through the 15 corruptions, batches of 64, Adam lr 1e-2; ETA/EATA with the "
                       "benchmark's CIFAR-10 margins (diversity 0.4, Fisher weight 1)\n";
          print_corruption_table(continual);
        }
        if (!identifiability.empty()) {
          std::cout << "\ncontrastive identifiability (Zimmermann et al. 2021), n = 5, batch 512, " << f->identify_steps
                    << " steps, Adam lr 1e-3; mean ± sd over 3 seeds\n";
          print_synthetic_table(identifiability);
        }
        if (!disentanglement.empty()) {
          std::cout << "\ndisentanglement on dSprites, LAP transitions (Klindt et al. 2021), " << f->slowvae_steps
                    << " steps of 32 pairs, metrics at the quick sample sizes\n";
          std::vector<std::string> header = {"metric"};
          for (const auto& row : disentanglement) header.push_back(row.model);
          std::vector<std::vector<std::string>> rows;
          for (const auto& [metric, value] : disentanglement.front().metrics.items()) {
            std::vector<std::string> line = {metric};
            for (const auto& row : disentanglement) line.push_back(fixed(row.metrics.at(metric).get<double>(), 4));
            rows.push_back(line);
          }
          print_table(header, rows);
        }
        if (!objects.empty()) {
          std::cout << "\nobject-centric video benchmark (Weis et al. 2021), VMDS-style test sets of this generator; "
                       "slot-video trained for "
                    << f->objects_steps << " steps of 8 clips x 4 frames; published rows are on the original VMDS\n";
          print_objects_table(objects);
        }
        if (gap) {
          std::cout << "\nrecognition gap (Funke et al. 2021), ullman4 children, crops upsampled to 28 px\n";
          print_recognition_gap(model, gap_data->name(), *gap);
        }
        if (svrt) {
          std::cout << "\nSVRT with 1,000 training images (Funke et al. 2021), " << svrt_options.arch << " from scratch, "
                    << f->svrt_presentations << " presentations\n";
          print_svrt_summary(svrt_options, *svrt);
        }
        if (experiment) {
          std::cout << "\nfeature visualisations vs. natural exemplars (Borowski et al. 2021): 4 units of the default model, "
                    << f->fv_steps << " optimisation steps, 20 simulated observers (noise 0.25 of a unit's natural range)\n";
          print_condition_summary(*experiment);
        }
        if (dm) std::cout << "model checkpoint: " << dm->checkpoint.string() << "\n";
        std::cout << "results stored in run " << run << " of " << g.db << "\n";
      }
    });
    if (!f->report.empty()) {
      const Store store(g.db);
      report::write_report(store, {.run = run_id, .title = "robustlab benchmark"}, f->report);
      std::cerr << "report: " << std::filesystem::absolute(f->report).string() << "\n";
    }
  });
}

}  // namespace robustlab::cli
