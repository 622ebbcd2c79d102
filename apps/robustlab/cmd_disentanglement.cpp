// robustlab slowvae and robustlab disentanglement: the SlowVAE study of Klindt et al. 2021 (train
// SlowVAE or the β-VAE baseline on dSprites or natural sprites with LAP/UNI transitions, then every
// disentanglement_lib metric) and the metrics alone for a user's representation — from
// (factors, codes) arrays, or from an encoder on the built-in dSprites (which the BetaVAE and
// FactorVAE scores need, as they sample the generative process).
#include <cmath>
#include <iostream>

#include <torch/script.h>

#include "common.h"
#include "slowvae_runs.h"
#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/core/paths.h"
#include "robustlab/data/tensor_file.h"
#include "robustlab/data/zip_records.h"
#include "robustlab/models/device.h"
#include "robustlab/representation/disentanglement.h"
#include "robustlab/representation/metrics.h"
#include "robustlab/representation/slowvae.h"

namespace robustlab::cli {
namespace {

namespace rep = robustlab::representation;

/// The metrics of (factors, codes) arrays: the first `train` rows train, the next `test` test.
nlohmann::json array_metrics(const torch::Tensor& factors, const torch::Tensor& codes, int64_t train, int64_t test,
                             uint64_t seed) {
  const torch::Tensor ftr = factors.narrow(0, 0, train), ctr = codes.narrow(0, 0, train);
  const torch::Tensor fte = factors.narrow(0, train, test), cte = codes.narrow(0, train, test);
  const rep::Dci d = rep::dci(ftr, ctr, fte, cte);
  const rep::TrainTest e = rep::explicitness(ftr, ctr, fte, cte);
  return {{"mcc", rep::mcc_spearman(ftr, ctr, static_cast<uint32_t>(seed)).mcc},
          {"mig", rep::mig(ftr, ctr)},
          {"dci_disentanglement", d.disentanglement},
          {"dci_completeness", d.completeness},
          {"dci_informativeness_train", d.informativeness_train},
          {"dci_informativeness_test", d.informativeness_test},
          {"sap", rep::sap(ftr, ctr, fte, cte)},
          {"modularity", rep::modularity(ftr, ctr)},
          {"explicitness_train", e.train},
          {"explicitness_test", e.test}};
}

void print_metrics(const nlohmann::json& metrics) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, value] : metrics.items()) rows.push_back({name, fixed(value.get<double>(), 4)});
  print_table({"metric", "value"}, rows);
}

std::vector<ResultRow> metric_rows(const std::string& model, const std::string& dataset, const nlohmann::json& condition,
                                   const nlohmann::json& metrics, int64_t count) {
  std::vector<ResultRow> rows;
  for (const auto& [name, value] : metrics.items()) rows.push_back({model, dataset, condition, name, value.get<double>(), count});
  return rows;
}

/// A TorchScript encoder: images [N, 1, 64, 64] in [0, 1] -> codes [N, D] (or a tuple whose first
/// element is that, e.g. (μ, log σ²)).
std::function<torch::Tensor(const torch::Tensor&)> torchscript_encoder(const std::string& path) {
  const torch::Device device = default_device();
  std::shared_ptr<torch::jit::Module> module;
  check_zip_records(path, "encoder", "neither a slowvae checkpoint nor a TorchScript file");
  try {
    module = std::make_shared<torch::jit::Module>(torch::jit::load(path, device));
  } catch (const c10::Error& e) {
    throw FormatError("encoder '" + path + "' is neither a slowvae checkpoint nor a TorchScript file (" +
                      first_line(e.what_without_backtrace()) + ")");
  }
  module->eval();
  return [module, path, device](const torch::Tensor& images) {
    torch::NoGradGuard no_grad;
    const c10::IValue out = module->forward({to_device(images, device)});
    const torch::Tensor codes = (out.isTuple() ? out.toTupleRef().elements()[0].toTensor() : out.toTensor()).cpu();
    if (codes.dim() != 2 || codes.size(0) != images.size(0)) {
      throw ShapeError("encoder '" + path + "' returned " + c10::str(codes.sizes()) + " for " + c10::str(images.sizes()) +
                       " images, expected [N, codes]");
    }
    return codes;
  };
}

}  // namespace

void add_disentanglement_command(CLI::App& app, Globals& g) {
  struct Flags {
    std::string factors, codes, dataset, encoder, sizes = "reference";
    int64_t num_train = 10000, num_test = 5000;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("disentanglement",
                                 "The disentanglement_lib metrics (MCC, MIG, DCI, SAP, modularity, explicitness; with "
                                 "--dataset dsprites also the BetaVAE and FactorVAE scores) of your own representation");
  cmd->add_option("--factors", f->factors, "Factors as integer classes, [N, F] .npy or .pt");
  cmd->add_option("--codes", f->codes, "Codes, [N, D] .npy or .pt (the first --num-train rows train, the next --num-test test)");
  auto* train_flag = cmd->add_option("--num-train", f->num_train, "Training rows")->check(CLI::PositiveNumber)->capture_default_str();
  auto* test_flag = cmd->add_option("--num-test", f->num_test, "Test rows")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--dataset", f->dataset, "Instead of arrays: dsprites, sampled as the metrics sample it, with --encoder");
  cmd->add_option("--encoder", f->encoder, "A slowvae checkpoint or a TorchScript file mapping [N,1,64,64] images to codes");
  cmd->add_option("--sizes", f->sizes, "With --dataset: sample sizes, reference (disentanglement_lib), small or quick")
      ->capture_default_str();
  cmd->callback([f, &g, train_flag, test_flag] {
    apply_globals(g);
    nlohmann::json metrics;
    std::string model, dataset;
    int64_t count = 0;
    nlohmann::json config;
    if (!f->dataset.empty()) {
      if (f->dataset != "dsprites") {
        throw InvalidArgument("disentanglement: unknown dataset '" + f->dataset + "' (the sampled metrics need dsprites)");
      }
      if (f->encoder.empty()) throw InvalidArgument("disentanglement: --dataset dsprites needs --encoder");
      require_file(f->encoder, "disentanglement");
      std::function<torch::Tensor(const torch::Tensor&)> encode;
      try {  // a slowvae checkpoint, else a TorchScript encoder
        auto vae = std::make_shared<rep::BetaVae>(rep::load_slowvae(f->encoder).first);
        encode = [vae](const torch::Tensor& images) { return rep::encode_means(*vae, images); };
      } catch (const FormatError&) {
        encode = torchscript_encoder(f->encoder);
      }
      const MetricSizes sizes = MetricSizes::named(f->sizes);
      config = {{"dataset", "dsprites"}, {"encoder", f->encoder}, {"sizes", f->sizes}};
      model = f->encoder;
      dataset = "dsprites";
      count = sizes.train;
      record_run(g, "disentanglement", config, [&](Store& store, int64_t run) {
        metrics = dsprites_metrics([&](const torch::Tensor& fac) { return encode(rep::render_dsprites(fac)); }, sizes, g.seed);
        store.add_results(run, metric_rows(model, dataset, {}, metrics, count));
      });
    } else {
      if (f->factors.empty() || f->codes.empty()) {
        throw InvalidArgument("disentanglement: give --factors and --codes, or --dataset dsprites with --encoder");
      }
      const torch::Tensor factors = load_array(f->factors), codes = load_array(f->codes);
      rep::check_factors_codes("disentanglement", factors, codes);
      int64_t train = f->num_train, test = f->num_test;
      if (train + test > factors.size(0)) {
        if (train_flag->count() || test_flag->count()) {
          throw InvalidArgument("disentanglement: --num-train " + std::to_string(train) + " + --num-test " +
                                std::to_string(test) + " rows needed, the arrays have " + std::to_string(factors.size(0)));
        }
        train = factors.size(0) * 2 / 3;
        test = factors.size(0) - train;
        log_info("disentanglement: ", factors.size(0), " rows: the first ", train, " train, the other ", test, " test");
      }
      config = {{"factors", f->factors}, {"codes", f->codes}, {"num_train", train}, {"num_test", test}};
      model = f->codes;
      dataset = f->factors;
      count = train;
      record_run(g, "disentanglement", config, [&](Store& store, int64_t run) {
        metrics = array_metrics(factors, codes, train, test, g.seed);
        store.add_results(run, metric_rows(model, dataset, {}, metrics, count));
      });
    }
    if (g.json) {
      print_json(metrics);
    } else {
      print_metrics(metrics);
    }
  });
}

void add_slowvae_command(CLI::App& app, Globals& g) {
  struct Flags {
    std::string dataset = "dsprites", transitions = "lap", model = "slowvae", checkpoint, sizes = "small";
    std::optional<double> beta, gamma, rate_prior;
    rep::SlowVaeTrainOptions train;
    bool restart = false, no_metrics = false;
  };
  auto f = std::make_shared<Flags>();
  f->train.steps = 5000;
  f->train.log_every = 250;
  f->train.checkpoint_every = 500;
  auto* cmd = app.add_subcommand("slowvae",
                                 "SlowVAE (Klindt et al. 2021) or the beta-VAE baseline on dSprites or natural sprites "
                                 "with sparse (LAP) or uniform (UNI) transitions, then the disentanglement metrics");
  cmd->add_option("--dataset", f->dataset, "dsprites or natural-sprites")->capture_default_str();
  cmd->add_option("--transitions", f->transitions, "dsprites: lap or uni")->capture_default_str();
  cmd->add_option("--rate-data", f->train.pairs.rate, "LAP: rate (scale log(K)/rate); -1 draws U(1, 10) per pair")
      ->capture_default_str();
  cmd->add_option("--k", f->train.pairs.k, "UNI: factors that change (-1: U{1..4} per pair)")->capture_default_str();
  cmd->add_option("--model", f->model, "slowvae or betavae")->capture_default_str();
  cmd->add_option("--beta", f->beta, "KL to N(0, I) weight (default: 1 for slowvae, 8 for betavae)");
  cmd->add_option("--gamma", f->gamma, "Laplace transition KL weight (default: 10 for slowvae, 0 for betavae)");
  cmd->add_option("--rate-prior", f->rate_prior, "Laplace prior rate lambda (default 6)");
  cmd->add_option("--z-dim", f->train.z_dim, "Latent dimensions")->capture_default_str();
  cmd->add_option("--batch-size", f->train.batch_pairs, "Pairs per batch (the reference: 32, i.e. 64 images)")
      ->capture_default_str();
  cmd->add_option("--steps", f->train.steps, "Training steps (the reference: 300000)")->capture_default_str();
  cmd->add_option("--lr", f->train.lr, "Adam learning rate")->capture_default_str();
  cmd->add_option("--log-every", f->train.log_every, "Steps between logged losses")->capture_default_str();
  cmd->add_option("--checkpoint-every", f->train.checkpoint_every, "Steps between checkpoints (and at the last step)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--checkpoint", f->checkpoint,
                  "Checkpoint written while training and resumed from (default: in the cache, named by the settings)");
  cmd->add_flag("--restart", f->restart, "Train from scratch even if the checkpoint exists");
  cmd->add_option("--sizes", f->sizes, "Metric sample sizes: small (CPU scale), quick or reference (disentanglement_lib)")
      ->capture_default_str();
  cmd->add_flag("--no-metrics", f->no_metrics,
                "Train only; measure later with disentanglement --dataset dsprites --encoder <checkpoint>");
  cmd->callback([f, &g] {
    apply_globals(g);
    rep::SlowVaeTrainOptions& o = f->train;
    o.dataset = rep::parse_sprite_dataset(f->dataset);
    o.pairs.transitions = rep::parse_transitions(f->transitions);
    if (f->model != "slowvae" && f->model != "betavae") {
      throw InvalidArgument("slowvae: unknown model '" + f->model + "' (expected slowvae or betavae)");
    }
    o.slow = f->model == "slowvae";
    o.loss = rep::SlowVaeTrainOptions::model_defaults(o.slow);
    if (f->beta) o.loss.beta = *f->beta;
    if (f->gamma) o.loss.gamma = *f->gamma;
    if (f->rate_prior) o.loss.rate = *f->rate_prior;
    o.seed = g.seed;
    o.validate();
    MetricSizes::named(f->sizes);  // an unknown name fails before training
    const std::string sizes = f->no_metrics ? "" : f->sizes;  // empty: no metrics
    nlohmann::json config = {{"dataset", f->dataset}, {"transitions", f->transitions}, {"rate_data", o.pairs.rate},
                             {"k", o.pairs.k}, {"model", f->model}, {"beta", o.loss.beta}, {"gamma", o.loss.gamma},
                             {"rate_prior", o.loss.rate}, {"z_dim", o.z_dim}, {"batch_pairs", o.batch_pairs},
                             {"steps", o.steps}, {"lr", o.lr}, {"sizes", sizes}};
    if (f->checkpoint.empty()) f->checkpoint = default_slowvae_checkpoint(o).string();
    std::filesystem::create_directories(std::filesystem::absolute(f->checkpoint).parent_path());
    if (f->restart) std::filesystem::remove(f->checkpoint);
    if (std::filesystem::exists(f->checkpoint)) log_info("resuming from ", f->checkpoint);
    o.checkpoint = f->checkpoint;
    config["checkpoint"] = f->checkpoint;
    const std::string model_name = f->model + "/" + f->dataset + "/" + f->transitions;
    nlohmann::json metrics;
    record_run(g, "slowvae", config, [&](Store& store, int64_t run) {
      metrics = train_and_evaluate_slowvae(o, sizes, store, run, model_name, g.seed);
    });
    if (g.json) {
      print_json({{"model", f->model}, {"checkpoint", f->checkpoint}, {"metrics", metrics}});
    } else {
      if (!metrics.empty()) print_metrics(metrics);
      std::cout << "checkpoint: " << f->checkpoint << "\n";
    }
  });
}

}  // namespace robustlab::cli
