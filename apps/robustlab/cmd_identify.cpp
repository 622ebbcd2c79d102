// robustlab identify: the contrastive-identifiability study of Zimmermann et al. 2021 — one
// experiment with cl-ica's flags, the paper's synthetic table (--table synthetic), or the metrics
// alone on a user's own latents and codes (--latents/--codes).
#include <cmath>
#include <iostream>
#include <map>

#include "common.h"
#include "identify_runs.h"
#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/core/paths.h"
#include "robustlab/core/progress.h"
#include "robustlab/data/tensor_file.h"
#include "robustlab/representation/identify.h"
#include "robustlab/representation/metrics.h"

namespace robustlab::cli {
namespace {

namespace rep = robustlab::representation;

struct Flags {
  std::string space = "box", marginal = "uniform", conditional = "normal", loss = "lp", normalization;
  double m_param = 1.0, m_p = 3.0, c_param = 0.05, c_p = 3.0;
  rep::IdentifyOptions options;
  std::string table, latents, codes;
  bool restart = false;
  int seeds = 3;
  CLI::Option* n_flag = nullptr;  ///< --n given? (the table's CPU scale is n = 5 unless it is)
};

/// The table's CPU scale (docs/representation.md): n = 5, batch 512, 2,000 steps of Adam lr 1e-3.
constexpr int64_t kTableN = 5;

nlohmann::json experiment_config(const rep::IdentifyOptions& o) {
  const auto& l = o.latents;
  auto dist = [](const rep::Distribution& d) {
    return nlohmann::json{{"kind", rep::to_string(d.kind)}, {"param", d.param}, {"p", d.p}};
  };
  return {{"space", rep::to_string(l.space)},     {"n", l.n},
          {"box", {l.box_min, l.box_max}},         {"radius", l.radius},
          {"marginal", dist(l.marginal)},          {"conditional", dist(l.conditional)},
          {"loss", rep::to_string(o.loss.loss)},   {"p", o.loss.p},
          {"tau", o.loss.tau},                     {"normalization", rep::to_string(o.output_normalization())},
          {"mixing_layers", o.mixing_layers},      {"cond_iterations", o.cond_iterations},
          {"batch_size", o.batch_size},            {"steps", o.steps},
          {"lr", o.lr},                            {"log_every", o.log_every},
          {"eval_batches", o.eval_batches}};
}

void metrics_only(const Flags& f, const Globals& g) {
  if (f.latents.empty() || f.codes.empty()) throw InvalidArgument("identify: --latents and --codes go together");
  const torch::Tensor z = load_array(f.latents), h = load_array(f.codes);
  rep::check_pair("identify", z, h);
  nlohmann::json out = {{"r2", rep::linear_r2(z, h)}, {"n_samples", z.size(0)}};
  if (z.size(1) == h.size(1)) {
    out["mcc_pearson"] = rep::mcc_pearson(z, h).mcc;
  } else {
    log_warning("identify: cl-ica's Pearson MCC pairs latent j with code j; ", z.size(1), " latents and ", h.size(1),
                " codes, so it is left out");
    out["mcc_pearson"] = nullptr;
  }
  out["mcc_spearman"] = rep::mcc_spearman(z, h, static_cast<uint32_t>(g.seed)).mcc;
  record_run(g, "identify", {{"latents", f.latents}, {"codes", f.codes}}, [&](Store& store, int64_t run) {
    std::vector<ResultRow> rows;
    for (const char* key : {"r2", "mcc_pearson", "mcc_spearman"}) {
      if (!out[key].is_null()) rows.push_back({f.codes, f.latents, {}, key, out[key].get<double>(), z.size(0)});
    }
    store.add_results(run, rows);
  });
  if (g.json) {
    print_json(out);
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const char* key : {"r2", "mcc_pearson", "mcc_spearman"})
    rows.push_back({key, out[key].is_null() ? "-" : fixed(out[key].get<double>(), 4)});
  print_table({"metric", "value"}, rows);
}

void one_experiment(Flags& f, const Globals& g) {
  rep::IdentifyOptions& o = f.options;
  const nlohmann::json config = experiment_config(o);
  const std::string model = "encoder (" + rep::to_string(o.loss.loss) + ")";
  const std::string dataset = "synthetic " + rep::to_string(o.latents.space);
  rep::IdentifyResult r;
  record_run(g, "identify", config, [&](Store& store, int64_t run) {
    Progress progress("identify", o.steps);
    r = rep::run_identify(
        o,
        [&](const rep::CurvePoint& p) {
          log_info("step ", p.step, ": loss ", fixed(p.loss, 4), ", R² ", fixed(p.r2, 4), ", MCC ", fixed(p.mcc, 4));
          store.add_results(run, identify_curve_rows(model, dataset, {}, p, o.log_samples));
        },
        &progress);
    progress.finish();
    store.add_results(run, identify_result_rows(model, dataset, {}, r, o.eval_batches * o.batch_size));
  });
  if (g.json) {
    print_json({{"r2", r.r2_mean}, {"r2_sd", r.r2_sd}, {"mcc", r.mcc_mean}, {"mcc_sd", r.mcc_sd},
                {"g_r2", r.g_r2}, {"g_mcc", r.g_mcc}, {"train_seconds", r.seconds}});
    return;
  }
  print_table({"", "R²", "MCC"}, {{"g alone", fixed(r.g_r2, 4), fixed(r.g_mcc, 4)},
                                  {"f(g(z)), mean ± sd over " + std::to_string(o.eval_batches) + " batches",
                                   fixed(r.r2_mean, 4) + " ± " + fixed(r.r2_sd, 4),
                                   fixed(r.mcc_mean, 4) + " ± " + fixed(r.mcc_sd, 4)}});
}

void synthetic(Flags& f, const Globals& g) {
  if (f.table != "synthetic") throw InvalidArgument("identify: unknown table '" + f.table + "' (expected synthetic)");
  const int64_t n = f.n_flag->count() ? f.options.latents.n : kTableN;
  auto rows = rep::synthetic_table(n, f.options.batch_size, f.options.steps, g.seed);
  for (auto& row : rows) row.options.cond_iterations = f.options.cond_iterations;
  nlohmann::json config = {{"table", "synthetic"}, {"n", n}, {"batch_size", f.options.batch_size},
                           {"steps", f.options.steps}, {"lr", rows.front().options.lr}, {"seeds", f.seeds},
                           {"cond_iterations", f.options.cond_iterations}};
  // Seeds an interrupted run with the same settings finished are taken from it.
  std::map<std::string, std::map<std::string, double>> done;
  if (!f.restart) {
    const Store store(g.db);
    if (const auto before = interrupted_run(store, "identify", config)) {
      done = stored_synthetic_seeds(store, before->id);
      if (!done.empty()) {
        config["resumed_from"] = before->id;
        log_info("resuming run ", before->id, ": ", done.size(), " row seeds already measured are taken from it");
      }
    }
  }
  std::vector<SyntheticSummary> summaries;
  record_run(g, "identify", config, [&](Store& store, int64_t run) {
    summaries = run_synthetic_rows(store, run, rows, f.seeds, done);
  });
  if (g.json) {
    print_json(synthetic_json(summaries));
    return;
  }
  print_synthetic_table(summaries);
}

}  // namespace

void add_identify_command(CLI::App& app, Globals& g) {
  auto f = std::make_shared<Flags>();
  rep::IdentifyOptions& o = f->options;
  auto* cmd = app.add_subcommand(
      "identify",
      "Contrastive learning inverts the data-generating process (Zimmermann et al. 2021): train an encoder with "
      "InfoNCE on a synthetic latent space and measure R² and MCC; or the metrics of your own latents and codes");
  cmd->add_option("--space", f->space, "Latent space: sphere, box or unbounded")->capture_default_str();
  f->n_flag = cmd->add_option("--n", o.latents.n, "Latent dimensionality (--table: 5 unless given)")->capture_default_str();
  cmd->add_option("--box-min", o.latents.box_min, "Box lower bound")->capture_default_str();
  cmd->add_option("--box-max", o.latents.box_max, "Box upper bound")->capture_default_str();
  cmd->add_option("--sphere-r", o.latents.radius, "Sphere radius")->capture_default_str();
  cmd->add_option("--marginal", f->marginal, "Marginal: uniform, laplace, normal or gennorm")->capture_default_str();
  cmd->add_option("--m-param", f->m_param, "Marginal scale (laplace, normal, gennorm)")->capture_default_str();
  cmd->add_option("--m-p", f->m_p, "Generalised-normal marginal exponent")->capture_default_str();
  cmd->add_option("--conditional", f->conditional, "Conditional: vmf (sphere), laplace, normal or gennorm")
      ->capture_default_str();
  cmd->add_option("--c-param", f->c_param, "Conditional concentration: kappa (vmf) or scale")->capture_default_str();
  cmd->add_option("--c-p", f->c_p, "Generalised-normal conditional exponent")->capture_default_str();
  cmd->add_option("--loss", f->loss, "dot (sphere InfoNCE), lp (Lp InfoNCE) or supervised (MSE baseline)")
      ->capture_default_str();
  cmd->add_option("--p", o.loss.p, "Exponent of the Lp loss")->capture_default_str();
  cmd->add_option("--tau", o.loss.tau, "Temperature")->capture_default_str();
  cmd->add_option("--normalization", f->normalization,
                  "Encoder output: none, sphere, learnable-sphere or box (default: sphere for dot, else none)");
  cmd->add_option("--mixing-layers", o.mixing_layers, "Layers of the generator g")->capture_default_str();
  cmd->add_option("--cond-iterations", o.cond_iterations, "Condition-number pool of g (cl-ica: 25000)")
      ->capture_default_str();
  // The CPU scale instead of cl-ica's 6144 x 300,003 steps at lr 1e-4 (docs/representation.md).
  o.batch_size = 512;
  o.steps = 2000;
  o.lr = 1e-3;
  cmd->add_option("--batch-size", o.batch_size, "Batch size (cl-ica: 6144)")->capture_default_str();
  cmd->add_option("--steps", o.steps, "Training steps (cl-ica: 300003)")->capture_default_str();
  cmd->add_option("--lr", o.lr, "Adam learning rate (cl-ica: 1e-4)")->capture_default_str();
  cmd->add_option("--log-every", o.log_every, "Steps between R²/MCC measurements")->capture_default_str();
  cmd->add_option("--eval-batches", o.eval_batches, "Fresh batches for the final mean ± sd")->capture_default_str();
  cmd->add_option("--table", f->table, "Run the paper's table instead of one experiment: synthetic");
  cmd->add_flag("--restart", f->restart, "With --table: measure every row again instead of resuming");
  cmd->add_option("--seeds", f->seeds, "With --table: seeds per row (mean ± sd over them)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--latents", f->latents, "Only the metrics: true latents, [N, F] .npy or torch.save'd .pt");
  cmd->add_option("--codes", f->codes, "Only the metrics: encoder outputs, [N, D] .npy or .pt");
  cmd->callback([f, &g] {
    apply_globals(g);
    if (!f->latents.empty() || !f->codes.empty()) return metrics_only(*f, g);
    rep::IdentifyOptions& o = f->options;
    o.seed = g.seed;
    o.cache_dir = default_cache_dir();
    if (!f->table.empty()) return synthetic(*f, g);
    o.latents.space = rep::parse_space(f->space);
    o.latents.marginal = {rep::parse_distribution(f->marginal), f->m_param, f->m_p};
    o.latents.conditional = {rep::parse_distribution(f->conditional), f->c_param, f->c_p};
    o.loss.loss = rep::parse_contrastive_loss(f->loss);
    if (!f->normalization.empty()) o.normalization = rep::parse_output_normalization(f->normalization);
    o.validate();
    one_experiment(*f, g);
  });
}

}  // namespace robustlab::cli
