// robustlab human: the model-vs-human comparison. `run` writes a model's raw CSVs for stimulus
// folders; `compare` computes the benchmark table, error consistency per dataset and shape bias
// from raw CSVs.
#include <iostream>

#include "common.h"
#include "robustlab/core/log.h"
#include "robustlab/core/paths.h"
#include "robustlab/human/compare.h"
#include "robustlab/human/decisions.h"

namespace robustlab::cli {
namespace {

void add_run(CLI::App& human, Globals& g) {
  struct Flags {
    std::string model;
    std::vector<std::string> images;
    std::string output = "raw-data";
    LoadOptions load;
    human::RunOptions run;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = human.add_subcommand("run", "Run a model on model-vs-human stimulus folders and write raw CSVs");
  cmd->add_option("--model", f->model, "TorchScript file or checkpoint with 1000 ImageNet (or 16) outputs")->required();
  cmd->add_option("--images", f->images, "Dataset folder(s): <dataset>/dnn/session-1/<image> or <dataset>/<category>/<image>")
      ->required();
  cmd->add_option("--name", f->run.observer, "Observer name in the CSVs and file names (default: the model file's stem)");
  cmd->add_option("-o,--output", f->output, "Raw-data folder to write <dataset>/<dataset>_<name>_session-1.csv into")
      ->capture_default_str();
  cmd->add_option("--batch-size", f->run.batch_size, "Batch size")->capture_default_str();
  cmd->add_option("--resize", f->run.transform.resize, "Short side after resizing (0: keep)")->capture_default_str();
  cmd->add_option("--crop", f->run.transform.crop, "Centre crop (0: none)")->capture_default_str();
  add_load_flags(*cmd, f->load);
  cmd->callback([f, &g] {
    apply_globals(g);
    if (f->run.observer == human::RunOptions{}.observer) f->run.observer = std::filesystem::path(f->model).stem().string();
    std::replace(f->run.observer.begin(), f->run.observer.end(), '_', '-');
    nlohmann::json config = {{"model", f->model}, {"images", f->images}, {"output", f->output},
                             {"observer", f->run.observer}, {"batch_size", f->run.batch_size}};
    // The datasets an interrupted run with these settings finished (its row stored, its CSV
    // written) are taken from it.
    std::map<std::string, ResultRow> done;
    {
      const Store store(g.db);
      if (const auto before = interrupted_run(store, "human run", config)) {
        for (const auto& r : store.results({.run_id = before->id, .metric = "16_class_accuracy"})) done[r.row.dataset] = r.row;
        if (!done.empty()) config["resumed_from"] = before->id;
      }
    }
    record_run(g, "human run", config, [&](Store& store, int64_t run) {
      const ClassifierPtr model = load_classifier(f->model, f->load);
      nlohmann::json written = nlohmann::json::array();
      std::vector<std::vector<std::string>> rows;
      for (const auto& dir : f->images) {
        const std::string dataset = human::dataset_name(dir);
        const auto path = std::filesystem::path(f->output) / dataset / (dataset + "_" + f->run.observer + "_session-1.csv");
        ResultRow row;
        if (const auto it = done.find(dataset); it != done.end() && std::filesystem::exists(path)) {
          row = it->second;
          log_info(dataset, ": taken from the interrupted run (", path.string(), ")");
        } else {
          const human::ObserverTrials trials = human::run_on_stimuli(*model, dir, f->run);
          human::write_raw_csv(path, trials);
          row = {trials.observer, dataset, nlohmann::json::object(), "16_class_accuracy", human::accuracy(trials.trials),
                 static_cast<int64_t>(trials.trials.size())};
        }
        store.add_results(run, {row});
        written.push_back({{"dataset", dataset}, {"csv", path.string()}, {"trials", row.count}, {"accuracy", row.value}});
        rows.push_back({dataset, std::to_string(row.count), fixed(row.value, 4), path.string()});
      }
      if (g.json) {
        print_json({{"run", run}, {"observer", f->run.observer}, {"datasets", written}});
      } else {
        print_table({"dataset", "trials", "16-class accuracy", "csv"}, rows);
      }
    });
  });
}

/// The comparison as rows for the store.
std::vector<ResultRow> result_rows(const human::Comparison& c) {
  std::vector<ResultRow> rows;
  auto put = [&](const std::string& model, const std::string& dataset, const human::Scores& v) {
    rows.push_back({model, dataset, {}, "ood_accuracy", v.ood_accuracy, 0});
    rows.push_back({model, dataset, {}, "accuracy_difference", v.accuracy_difference, 0});
    rows.push_back({model, dataset, {}, "observed_consistency", v.observed_consistency, 0});
    rows.push_back({model, dataset, {}, "error_consistency", v.error_consistency, 0});
  };
  put(c.humans.model, "model-vs-human", c.humans.overall);
  for (const auto& m : c.models) {
    put(m.model, "model-vs-human", m.overall);
    rows.push_back({m.model, "model-vs-human", {}, "mean_rank", m.mean_rank, 0});
  }
  for (const auto& m : c.models) {
    for (const auto& [dataset, v] : m.per_dataset) put(m.model, dataset, v);
  }
  for (const auto& [dataset, v] : c.humans.per_dataset) put("humans", dataset, v);
  for (const auto& d : c.per_dataset) {
    for (const auto& [model, band] : d.chance) {
      rows.push_back({model, d.dataset, {}, "error_consistency_chance_low", band.low, 0});
      rows.push_back({model, d.dataset, {}, "error_consistency_chance_high", band.high, 0});
    }
  }
  for (const auto& [model, conditions] : c.per_condition) {
    for (const auto& k : conditions) {
      rows.push_back({model, k.dataset, {{"condition", k.condition}}, "error_consistency", k.kappa, k.trials});
    }
  }
  for (const auto& [observer, b] : c.shape_bias) {
    rows.push_back({observer, "cue-conflict", {}, "shape_bias", b.bias(), b.conflict_trials});
  }
  return rows;
}

void add_compare(CLI::App& human, Globals& g) {
  struct Flags {
    std::string raw_data;
    human::CompareOptions compare;
    std::string csv_dir;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = human.add_subcommand("compare", "The model-vs-human benchmark table, error consistency and shape bias");
  cmd->add_option("--raw-data", f->raw_data, "Folder of raw CSVs (model-vs-human's raw-data/ layout)")->required();
  cmd->add_option("--models", f->compare.models, "Models to compare (default: every model in the raw data)")->delimiter(',');
  cmd->add_option("--csv-dir", f->csv_dir, "Also write benchmark.csv, error_consistency.csv and shape_bias.csv here");
  cmd->add_option("--level", f->compare.level, "Level of the chance band of error consistency")
      ->check(CLI::Range(0.5, 0.999))
      ->capture_default_str();
  cmd->add_option("--simulations", f->compare.simulations, "Simulations per chance band")->capture_default_str();
  cmd->callback([f, &g] {
    apply_globals(g);
    f->compare.seed = g.seed;
    nlohmann::json config = {{"raw_data", f->raw_data}, {"models", f->compare.models}, {"level", f->compare.level},
                             {"simulations", f->compare.simulations}};
    record_run(g, "human compare", config, [&](Store& store, int64_t run) {
      const human::Comparison c = human::compare(human::read_raw_data(f->raw_data), f->compare);
      store.add_results(run, result_rows(c));

      std::vector<std::vector<std::string>> table;
      for (const auto& m : c.models) {
        table.push_back({m.model, fixed(m.overall.ood_accuracy, 3), fixed(m.overall.accuracy_difference, 3),
                         fixed(m.overall.observed_consistency, 3), fixed(m.overall.error_consistency, 3),
                         fixed(m.mean_rank, 2)});
      }
      table.push_back({"humans", fixed(c.humans.overall.ood_accuracy, 3), fixed(c.humans.overall.accuracy_difference, 3),
                       fixed(c.humans.overall.observed_consistency, 3), fixed(c.humans.overall.error_consistency, 3), "-"});
      const std::vector<std::string> table_header = {"model", "OOD accuracy", "accuracy diff.", "observed consistency",
                                                     "error consistency", "mean rank"};
      std::vector<std::string> ec_header = {"dataset"};
      for (const auto& m : c.models) ec_header.push_back(m.model);
      ec_header.push_back("humans");
      for (const auto& m : c.models) ec_header.push_back("chance " + m.model);
      std::vector<std::vector<std::string>> ec_rows;
      for (const auto& d : c.per_dataset) {
        std::vector<std::string> row = {d.dataset};
        for (const auto& m : c.models) row.push_back(d.kappa.count(m.model) ? fixed(d.kappa.at(m.model), 3) : "-");
        row.push_back(fixed(d.kappa.at("humans"), 3));
        for (const auto& m : c.models) {
          row.push_back(d.chance.count(m.model) ? "[" + fixed(d.chance.at(m.model).low, 3) + ", " +
                                                      fixed(d.chance.at(m.model).high, 3) + "]"
                                                : "-");
        }
        ec_rows.push_back(row);
      }
      std::vector<std::vector<std::string>> bias_rows;
      for (const auto& [observer, b] : c.shape_bias) {
        bias_rows.push_back({observer, fixed(b.bias(), 3), std::to_string(b.shape), std::to_string(b.texture),
                             std::to_string(b.conflict_trials)});
      }
      const std::vector<std::string> bias_header = {"observer", "shape bias", "shape", "texture", "conflict trials"};
      if (!f->csv_dir.empty()) {
        const std::filesystem::path dir(f->csv_dir);
        write_text_file(dir / "benchmark.csv", csv_table(table_header, table));
        write_text_file(dir / "error_consistency.csv", csv_table(ec_header, ec_rows));
        write_text_file(dir / "shape_bias.csv", csv_table(bias_header, bias_rows));
      }
      if (g.json) {
        print_json({{"run", run}, {"results", results_to_json(store.results({.run_id = run}))}});
        return;
      }
      std::cout << "model-vs-human benchmark (" << c.humans.per_dataset.size() << " datasets)\n";
      print_table(table_header, table);
      std::cout << "\nerror consistency with humans per dataset (chance: " << fixed(100 * f->compare.level, 0)
                << "% band of independent observers)\n";
      print_table(ec_header, ec_rows);
      if (!bias_rows.empty()) {
        std::cout << "\nshape bias on cue-conflict\n";
        print_table(bias_header, bias_rows);
      }
    });
  });
}

}  // namespace

void add_human_command(CLI::App& app, Globals& g) {
  auto* human = app.add_subcommand("human", "The model-vs-human comparison (run a model, compare with humans)");
  human->require_subcommand(1);
  add_run(*human, g);
  add_compare(*human, g);
}

}  // namespace robustlab::cli
