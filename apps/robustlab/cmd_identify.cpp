// robustlab identify: the contrastive-identifiability study of Zimmermann et al. 2021 — one
// experiment with cl-ica's flags, the paper's synthetic table (--table synthetic), or the metrics
// alone on a user's own latents and codes (--latents/--codes).
#include <cmath>
#include <iostream>
#include <map>

#include "common.h"
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
};

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

std::vector<ResultRow> result_rows(const std::string& model, const std::string& dataset, const nlohmann::json& condition,
                                   const rep::IdentifyResult& r, int64_t eval_count) {
  std::vector<ResultRow> rows;
  auto add = [&](const std::string& metric, double value, int64_t count, nlohmann::json c) {
    rows.push_back({model, dataset, std::move(c), metric, value, count});
  };
  for (const auto& [metric, value] : std::vector<std::pair<std::string, double>>{
           {"r2", r.r2_mean}, {"r2_sd", r.r2_sd}, {"mcc", r.mcc_mean}, {"mcc_sd", r.mcc_sd},
           {"g_r2", r.g_r2}, {"g_mcc", r.g_mcc}, {"train_seconds", r.seconds}}) {
    add(metric, value, eval_count, condition);
  }
  return rows;
}

/// Curve points go to the store as they are made: loss, R² and MCC per logged step.
std::vector<ResultRow> curve_rows(const std::string& model, const std::string& dataset, const nlohmann::json& condition,
                                  const rep::CurvePoint& p, int64_t samples) {
  nlohmann::json c = condition;
  c["step"] = p.step;
  return {{model, dataset, c, "curve_loss", p.loss, samples},
          {model, dataset, c, "curve_r2", p.r2, samples},
          {model, dataset, c, "curve_mcc", p.mcc, samples}};
}

std::string percent(double v) { return std::isnan(v) ? "-" : fixed(100 * v, 2); }

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
          store.add_results(run, curve_rows(model, dataset, {}, p, o.log_samples));
        },
        &progress);
    progress.finish();
    store.add_results(run, result_rows(model, dataset, {}, r, o.eval_batches * o.batch_size));
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
  const auto rows = rep::synthetic_table(f.options.batch_size, f.options.steps, g.seed);
  nlohmann::json config = {{"table", "synthetic"}, {"batch_size", f.options.batch_size}, {"steps", f.options.steps},
                           {"lr", f.options.lr}, {"cond_iterations", f.options.cond_iterations}};
  // Rows an interrupted run with the same settings finished are taken from it.
  std::map<std::string, std::map<std::string, double>> done;
  if (!f.restart) {
    const Store store(g.db);
    if (const auto before = interrupted_run(store, "identify", config)) {
      for (const auto& r : store.results({.run_id = before->id}))
        if (r.row.condition.contains("row") && r.row.metric.rfind("curve_", 0) != 0)
          done[r.row.condition["row"].get<std::string>()][r.row.metric] = r.row.value;
      if (!done.empty()) {
        config["resumed_from"] = before->id;
        log_info("resuming run ", before->id, ": ", done.size(), " rows already measured are taken from it");
      }
    }
  }
  std::vector<std::vector<std::string>> table;
  nlohmann::json out = nlohmann::json::array();
  record_run(g, "identify", config, [&](Store& store, int64_t run) {
    for (const auto& row : rows) {
      const nlohmann::json condition = {{"row", row.name}, {"theory_matching", row.theory_matching}};
      rep::IdentifyResult r;
      if (done.count(row.name) && done[row.name].count("mcc_sd")) {
        const auto& d = done[row.name];
        r.r2_mean = d.at("r2");
        r.r2_sd = d.at("r2_sd");
        r.mcc_mean = d.at("mcc");
        r.mcc_sd = d.at("mcc_sd");
        r.g_r2 = d.at("g_r2");
        r.g_mcc = d.at("g_mcc");
        r.seconds = d.at("train_seconds");
      } else {
        rep::IdentifyOptions o = row.options;
        o.lr = f.options.lr;
        o.cond_iterations = f.options.cond_iterations;
        o.log_every = f.options.log_every;
        o.cache_dir = f.options.cache_dir;
        log_info("row: ", row.name);
        Progress progress(row.name, o.steps);
        r = rep::run_identify(
            o, [&](const rep::CurvePoint& p) { store.add_results(run, curve_rows("encoder", "synthetic", condition, p, o.log_samples)); },
            &progress);
        progress.finish();
      }
      store.add_results(run, result_rows("encoder", "synthetic", condition, r, row.options.eval_batches * row.options.batch_size));
      table.push_back({row.name, percent(r.r2_mean) + " ± " + percent(r.r2_sd),
                       percent(r.mcc_mean) + " ± " + percent(r.mcc_sd),
                       row.metric == "r2" ? "R² " + (std::isnan(row.published) ? std::string("-") : fixed(row.published, 2))
                                          : "MCC " + (std::isnan(row.published) ? std::string("-") : fixed(row.published, 2)),
                       row.theory_matching ? "yes" : "no"});
      out.push_back({{"row", row.name}, {"r2", r.r2_mean}, {"r2_sd", r.r2_sd}, {"mcc", r.mcc_mean},
                     {"mcc_sd", r.mcc_sd}, {"published_metric", row.metric},
                     {"published", std::isnan(row.published) ? nlohmann::json() : nlohmann::json(row.published)},
                     {"theory_matching", row.theory_matching}});
    }
  });
  if (g.json) {
    print_json(out);
    return;
  }
  print_table({"generating process → model", "R² (%)", "MCC (%)", "published (%)", "theory holds"}, table);
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
  cmd->add_option("--n", o.latents.n, "Latent dimensionality")->capture_default_str();
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
  o.batch_size = 512;
  o.steps = 2000;
  cmd->add_option("--batch-size", o.batch_size, "Batch size (cl-ica: 6144)")->capture_default_str();
  cmd->add_option("--steps", o.steps, "Training steps (cl-ica: 300003)")->capture_default_str();
  cmd->add_option("--lr", o.lr, "Adam learning rate")->capture_default_str();
  cmd->add_option("--log-every", o.log_every, "Steps between R²/MCC measurements")->capture_default_str();
  cmd->add_option("--eval-batches", o.eval_batches, "Fresh batches for the final mean ± sd")->capture_default_str();
  cmd->add_option("--table", f->table, "Run the paper's table instead of one experiment: synthetic");
  cmd->add_flag("--restart", f->restart, "With --table: measure every row again instead of resuming");
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
