// SlowVAE runs and the dSprites metrics for the CLI (see slowvae_runs.h).
#include "slowvae_runs.h"

#include <chrono>

#include "common.h"
#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/core/paths.h"
#include "robustlab/core/progress.h"
#include "robustlab/representation/disentanglement.h"
#include "robustlab/representation/metrics.h"

namespace robustlab::cli {

namespace rep = robustlab::representation;

MetricSizes MetricSizes::named(const std::string& name) {
  if (name == "reference") return {};
  if (name == "small") return {10000, 10000, 2000, 1000, 10000, 1000, 500, 1000, 500, 5000};
  if (name == "quick") return {1000, 1000, 500, 250, 1000, 100, 50, 100, 50, 1000};
  throw InvalidArgument("disentanglement: unknown metric sizes '" + name + "' (expected small, quick or reference)");
}

nlohmann::json dsprites_metrics(const std::function<torch::Tensor(const torch::Tensor&)>& codes_of, const MetricSizes& n,
                                uint64_t seed) {
  rep::GenerativeData data;
  data.factor_sizes = {rep::kDSpritesFactorSizes.begin(), rep::kDSpritesFactorSizes.end()};
  data.sample_factors = [](int64_t count, std::mt19937_64& rng) { return rep::sample_dsprites_factors(count, rng); };
  data.codes_of = codes_of;
  std::mt19937_64 rng(seed);
  auto sample = [&](int64_t count) {
    const torch::Tensor f = rep::sample_dsprites_factors(count, rng);
    return std::pair{f, codes_of(f)};
  };
  nlohmann::json out;
  Progress progress("metrics", 7);
  auto start = std::chrono::steady_clock::now();
  auto done = [&](const char* metric) {  // -v shows where the time goes
    const auto now = std::chrono::steady_clock::now();
    log_debug(metric, ": ", fixed(std::chrono::duration<double>(now - start).count(), 1), " s");
    start = now;
    progress.advance();
  };
  {
    const auto [f, c] = sample(n.mcc);
    out["mcc"] = rep::mcc_spearman(f, c, static_cast<uint32_t>(seed)).mcc;
  }
  done("mcc");
  {
    const auto [f, c] = sample(n.mig);
    out["mig"] = rep::mig(f, c);
  }
  done("mig");
  const auto [ftr, ctr] = sample(n.train);
  const auto [fte, cte] = sample(n.test);
  const rep::Dci d = rep::dci(ftr, ctr, fte, cte);
  out["dci_disentanglement"] = d.disentanglement;
  out["dci_completeness"] = d.completeness;
  out["dci_informativeness_train"] = d.informativeness_train;
  out["dci_informativeness_test"] = d.informativeness_test;
  done("dci");
  out["sap"] = rep::sap(ftr, ctr, fte, cte);
  done("sap");
  {
    const auto [f, c] = sample(n.modularity);
    out["modularity"] = rep::modularity(f, c);
    const rep::TrainTest e = rep::explicitness(f, c, fte, cte);
    out["explicitness_train"] = e.train;
    out["explicitness_test"] = e.test;
  }
  done("modularity and explicitness");
  const rep::SampledScore beta = rep::beta_vae_score(data, rng, 64, n.beta_train, n.beta_eval);
  out["beta_vae_train"] = beta.train_accuracy;
  out["beta_vae_eval"] = beta.eval_accuracy;
  done("beta-vae score");
  const rep::SampledScore factor = rep::factor_vae_score(data, rng, 64, n.factor_train, n.factor_eval, n.variance);
  out["factor_vae_train"] = factor.train_accuracy;
  out["factor_vae_eval"] = factor.eval_accuracy;
  done("factor-vae score");
  progress.finish();
  return out;
}


std::filesystem::path default_slowvae_checkpoint(const rep::SlowVaeTrainOptions& o) {
  const nlohmann::json key = {{"dataset", rep::to_string(o.dataset)}, {"transitions", rep::to_string(o.pairs.transitions)},
                              {"rate", o.pairs.rate}, {"k", o.pairs.k}, {"slow", o.slow}, {"beta", o.loss.beta},
                              {"gamma", o.loss.gamma}, {"rate_prior", o.loss.rate}, {"z_dim", o.z_dim},
                              {"batch_pairs", o.batch_pairs}, {"steps", o.steps}, {"lr", o.lr}, {"seed", o.seed}};
  char name[64];
  std::snprintf(name, sizeof name, "slowvae-%016zx.ckpt", std::hash<std::string>{}(key.dump()));
  return default_cache_dir() / name;
}

nlohmann::json train_and_evaluate_slowvae(const rep::SlowVaeTrainOptions& o, const std::string& sizes_name,
                                          Store& store, int64_t run, const std::string& model_name, uint64_t seed) {
  const std::string dataset = rep::to_string(o.dataset);
  Progress progress("train " + model_name, o.steps);
  rep::BetaVae model = rep::train_slowvae(
      o,
      [&](const rep::TrainPoint& p) {
        log_debug("step ", p.step, ": loss ", fixed(p.total, 2), ", recon ", fixed(p.recon, 2), ", KL_N ",
                  fixed(p.kl_normal, 2), ", KL_L ", fixed(p.kl_laplace, 2));
        const nlohmann::json c = {{"step", p.step}};
        const int64_t images = 2 * o.batch_pairs;
        store.add_results(run, {{model_name, dataset, c, "train_loss", p.total, images},
                                {model_name, dataset, c, "train_recon", p.recon, images},
                                {model_name, dataset, c, "train_kl_normal", p.kl_normal, images},
                                {model_name, dataset, c, "train_kl_laplace", p.kl_laplace, images}});
      },
      &progress);
  progress.finish();
  nlohmann::json metrics = nlohmann::json::object();
  if (sizes_name.empty()) return metrics;
  const MetricSizes sizes = MetricSizes::named(sizes_name);
  if (o.dataset == rep::SpriteDataset::kDSprites) {
    metrics = dsprites_metrics([&](const torch::Tensor& f) { return rep::encode_means(model, rep::render_dsprites(f)); },
                               sizes, seed);
  } else {  // continuous factors: MCC only, as the reference
    std::mt19937_64 rng(seed);
    const torch::Tensor factors = rep::natural_sprite_pairs(sizes.mcc / 2, o.natural, rng);
    metrics = {{"mcc", rep::mcc_spearman(factors, rep::encode_means(model, rep::render_natural_sprites(factors)),
                                         static_cast<uint32_t>(seed))
                           .mcc}};
  }
  std::vector<ResultRow> rows;
  for (const auto& [name, value] : metrics.items()) rows.push_back({model_name, dataset, {}, name, value.get<double>(), sizes.train});
  store.add_results(run, rows);
  return metrics;
}

}  // namespace robustlab::cli
