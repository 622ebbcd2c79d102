// robustlab eval: clean accuracy and error of a model on a dataset.
#include "common.h"

#include "robustlab/core/log.h"
#include "robustlab/models/predict.h"

namespace robustlab::cli {

void add_eval_command(CLI::App& app, Globals& g) {
  struct Flags {
    std::string model;
    DatasetOptions data;
    LoadOptions load;
    int64_t batch_size = 256;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("eval", "Clean accuracy and error of a model on a dataset");
  cmd->add_option("--model", f->model, "Checkpoint (from robustlab train) or TorchScript file")->required();
  add_dataset_flags(*cmd, f->data, "test");
  add_load_flags(*cmd, f->load);
  cmd->add_option("--batch-size", f->batch_size, "Batch size")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->callback([f, &g] {
    apply_globals(g);
    nlohmann::json config = {{"model", f->model}, {"dataset", dataset_config(f->data)}, {"batch_size", f->batch_size}};
    record_run(g, "eval", config, [&](Store& store, int64_t run) {
      const ClassifierPtr model = load_classifier(f->model, f->load);
      const DatasetPtr data = open_dataset(f->data);
      check_fits(*model, *data);
      log_info("evaluating ", model->description(), " on ", data->name(), " (", data->size(), " images)");
      const AccuracyResult acc = evaluate_accuracy(*model, data, f->batch_size, "eval");
      store.add_results(run, {{f->model, data->name(), nlohmann::json::object(), "accuracy", acc.accuracy(), acc.total},
                              {f->model, data->name(), nlohmann::json::object(), "error", acc.error(), acc.total}});
      if (g.json) {
        print_json({{"run", run}, {"model", f->model}, {"dataset", data->name()}, {"accuracy", acc.accuracy()},
                    {"error", acc.error()}, {"correct", acc.correct}, {"total", acc.total}});
      } else {
        print_table({"model", "dataset", "images", "accuracy", "error"},
                    {{f->model, data->name(), std::to_string(acc.total), fixed(acc.accuracy(), 4), fixed(acc.error(), 4)}});
      }
    });
  });
}

}  // namespace robustlab::cli
