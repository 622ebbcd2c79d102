// robustlab attack: per-sample minimal adversarial norms of a model (FMN, DDN or PGD with eps
// search), the median norm and robust accuracy at chosen eps; every norm goes to the store.
#include <iostream>
#include <map>
#include <limits>
#include <optional>

#include "common.h"

#include "robustlab/attacks/curves.h"
#include "robustlab/attacks/run.h"
#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/core/progress.h"
#include "robustlab/distributed/distributed.h"

namespace robustlab::cli {

void add_attack_command(CLI::App& app, Globals& g) {
  struct Flags {
    std::string model;
    DatasetOptions data;
    LoadOptions load;
    attacks::AttackSpec spec;
    std::vector<std::string> attacks = {"fmn"};
    std::string norm = "2";
    std::vector<double> epsilons;
    int64_t batch_size = 100;
    bool restart = false;
  };
  auto f = std::make_shared<Flags>();
  f->data.subset.limit = 200;
  auto* cmd = app.add_subcommand(
      "attack", "Minimum-norm adversarial attacks: per-sample norms and robustness curve (first 200 images by default)");
  cmd->add_option("--model", f->model,
                  "Checkpoint or TorchScript file (default: the default model of robustlab benchmark, trained into "
                  "the cache if needed)");
  add_dataset_flags(*cmd, f->data, "test");
  add_load_flags(*cmd, f->load);
  cmd->add_flag("--restart", f->restart,
                "Attack every sample again instead of resuming an interrupted run with the same settings");
  cmd->add_option("--attack", f->attacks,
                 "fmn, ddn or pgd (PGD with a per-sample eps search); several, comma-separated, also give the "
                 "per-sample best")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--norm", f->norm, "0, 1, 2 or inf")->capture_default_str();
  cmd->add_option("--steps", f->spec.fmn.steps, "Attack steps (PGD: split over the eps search)")->capture_default_str();
  cmd->add_flag("--targeted", f->spec.fmn.targeted, "Targeted attack towards (label + 1) mod classes");
  cmd->add_flag("--official", f->spec.fmn.official, "FMN: the authors' algorithm instead of the box-aware default");
  cmd->add_option("--alpha", f->spec.fmn.alpha_init, "FMN: initial step size (10 is AttackBench's choice for Linf)")
      ->capture_default_str();
  cmd->add_option("--gamma", f->spec.fmn.gamma_init, "FMN: initial eps-step factor")->capture_default_str();
  cmd->add_flag("--apgd", f->spec.pgd_apgd, "PGD: APGD's step-size schedule instead of fixed steps");
  cmd->add_option("--epsilons", f->epsilons, "Report robust accuracy at these eps (comma-separated)")->delimiter(',');
  cmd->add_option("--batch-size", f->batch_size, "Batch size")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->callback([f, &g] {
    apply_globals(g);
    f->spec.fmn.norm = attacks::parse_norm(f->norm);
    for (const auto& a : f->attacks) {
      attacks::AttackSpec spec = f->spec;
      spec.attack = a;
      spec.validate();
    }
    for (double e : f->epsilons) {
      if (!(e >= 0)) throw InvalidArgument("attack: --epsilons must be >= 0, got " + std::to_string(e));
    }
    f->model = model_or_default(f->model);
    nlohmann::json config = {{"model", f->model},     {"dataset", dataset_config(f->data)}, {"attacks", f->attacks},
                             {"norm", f->norm},       {"steps", f->spec.fmn.steps},         {"targeted", f->spec.fmn.targeted},
                             {"official", f->spec.fmn.official}, {"alpha", f->spec.fmn.alpha_init},
                             {"gamma", f->spec.fmn.gamma_init}, {"apgd", f->spec.pgd_apgd},
                             {"batch_size", f->batch_size}};
    // Resume an interrupted run with the same settings: the per-sample norms it stored, per attack.
    std::map<std::string, std::map<int64_t, double>> done;
    const auto dist = distributed_options(g);
    std::optional<distributed::ProcessGroup> group;
    if (dist && dist->world_size > 1) {
      group.emplace(*dist);
      group->check_same("attack configuration (flags, dataset or seed)", config.dump() + " seed " + std::to_string(g.seed));
      if (group->is_main()) Store{g.db};  // one process creates a new database, then the others read it
      group->barrier();
    }
    if (!f->restart) {
      const Store store(g.db);
      if (const auto before = interrupted_run(store, "attack", config)) {
        const auto stored = store.results({.run_id = before->id, .metric = "min_norm"});
        for (const auto& r : stored)
          done[r.row.condition.at("attack").get<std::string>()][r.row.condition.at("sample").get<int64_t>()] = r.row.value;
        if (!stored.empty()) {
          config["resumed_from"] = before->id;
          log_info("resuming run ", before->id, ": ", stored.size(),
                   " per-sample norms already measured are taken from it (--restart attacks them again)");
        }
      }
    }
    // Summaries of every attack (and the best of them) from the per-sample norms: stored and printed.
    auto summarize_attacks = [f, &g](Store& store, int64_t run, const std::string& dataset, std::vector<torch::Tensor> all_norms,
                                     std::vector<std::string> names) {
      const std::string norm = attacks::to_string(f->spec.fmn.norm);
      const std::vector<double>& eps = f->epsilons;
      if (all_norms.size() > 1) {
        all_norms.push_back(attacks::best_of(all_norms));
        names.push_back("best");
      }
      nlohmann::json out = nlohmann::json::array();
      std::vector<std::vector<std::string>> summary, curve_rows;
      for (size_t a = 0; a < names.size(); ++a) {
        const torch::Tensor& norms = all_norms[a];
        const int64_t n = norms.size(0);
        const attacks::NormSummary summary_of = attacks::summarize(norms, eps);
        const double success = summary_of.success_rate, median = summary_of.median;
        const std::vector<double>& robust = summary_of.robust_accuracy;
        const nlohmann::json condition = {{"attack", names[a]}, {"norm", norm}};
        std::vector<ResultRow> rows = {{f->model, dataset, condition, "success_rate", success, n},
                                       {f->model, dataset, condition, "median_norm", median, n}};
        nlohmann::json curve = nlohmann::json::array();
        for (size_t i = 0; i < eps.size(); ++i) {
          nlohmann::json c = condition;
          c["epsilon"] = eps[i];
          rows.push_back({f->model, dataset, c, "robust_accuracy", robust[i], n});
          curve.push_back({{"epsilon", eps[i]}, {"robust_accuracy", robust[i]}});
          curve_rows.push_back({names[a], fixed(eps[i], 4), fixed(robust[i], 4)});
        }
        store.add_results(run, rows);
        out.push_back({{"attack", names[a]}, {"norm", norm}, {"images", n}, {"success_rate", success},
                       {"median_norm", std::isfinite(median) ? nlohmann::json(median) : nlohmann::json("inf")},
                       {"robust_accuracy", curve}});
        summary.push_back({names[a] + "-" + norm, std::to_string(n), fixed(success, 4), fixed(median, 4)});
      }
      if (g.json) {
        print_json({{"run", run}, {"attacks", out}});
        return;
      }
      print_table({"attack", "images", "success", "median norm"}, summary);
      if (!curve_rows.empty()) {
        std::cout << "\n";
        print_table({"attack", "eps", "robust accuracy"}, curve_rows);
      }
    };
    // Every rank has read what an interrupted run measured before rank 0 begins the new run.
    if (group) group->barrier();
    record_run_ranked(g, !group || group->is_main(), "attack", config, [&](Store& store, int64_t run) {
      const ClassifierPtr model = load_classifier(f->model, f->load);
      const DatasetPtr data = open_dataset(f->data);
      check_fits(*model, *data);
      const std::string norm = attacks::to_string(f->spec.fmn.norm);
      std::vector<torch::Tensor> all_norms;
      for (const auto& name : f->attacks) {
        attacks::AttackSpec spec = f->spec;
        spec.attack = name;
        log_info("attacking ", model->description(), " on ", data->size(), " images of ", data->name(), " with ",
                 spec.describe());
        auto sample_row = [&](int64_t sample, double value) -> ResultRow {
          return {f->model, data->name(), {{"attack", name}, {"norm", norm}, {"sample", sample}}, "min_norm", value, 1};
        };
        std::vector<ResultRow> resumed;  // the new run holds every sample, the resumed ones too
        for (const auto& [sample, value] : done[name]) resumed.push_back(sample_row(sample, value));
        store.add_results(run, resumed);
        auto store_norms = [&](const torch::Tensor& indices, const torch::Tensor& norms) {
          std::vector<ResultRow> rows;
          for (int64_t i = 0; i < indices.size(0); ++i)
            rows.push_back(sample_row(indices[i].item<int64_t>(), norms[i].item<double>()));
          store.add_results(run, rows);
        };
        if (!group) {
          all_norms.push_back(attacks::attack_dataset(
              *model, data, spec, f->batch_size,
              [&](const attacks::BatchOutcome& o) { store_norms(o.indices, o.result.norms); }, done[name]));
          continue;
        }
        // Sharded: in each round every rank attacks one batch of the single process's (batch b on
        // rank b mod world size); the round's norms are gathered and rank 0 stores them, so an
        // interrupted run loses at most one round and resumes on any number of ranks.
        const auto batches = attacks::attack_batches(data->size(), done[name], f->batch_size);
        const auto world = static_cast<size_t>(group->world_size()), rank = static_cast<size_t>(group->rank());
        // cpu: the per-sample results are gathered on the host
        torch::Tensor norms = torch::full({data->size()}, std::numeric_limits<double>::quiet_NaN(), torch::kFloat64);
        for (const auto& [sample, value] : done[name]) norms[sample] = value;
        Progress progress(spec.describe() + " on " + std::to_string(world) + " ranks",
                          static_cast<int64_t>(data->size() - static_cast<int64_t>(done[name].size())));
        for (size_t round = 0; round * world < batches.size(); ++round) {
          torch::Tensor mine_indices = torch::empty({0}, torch::kFloat64), mine_norms = mine_indices;
          if (const size_t b = round * world + rank; b < batches.size()) {
            const attacks::BatchOutcome o = attacks::attack_batch(*model, data, batches[b], spec);
            mine_indices = o.indices.to(torch::kFloat64);
            mine_norms = o.result.norms.to(torch::kFloat64);
          }
          const torch::Tensor indices = group->all_gather(mine_indices).to(torch::kInt64);
          const torch::Tensor gathered = group->all_gather(mine_norms);
          norms.index_copy_(0, indices, gathered);
          store_norms(indices, gathered);
          progress.advance(indices.size(0));
        }
        progress.finish();
        all_norms.push_back(norms);
      }
      summarize_attacks(store, run, data->name(), all_norms, f->attacks);
    });
  });
}

}  // namespace robustlab::cli
