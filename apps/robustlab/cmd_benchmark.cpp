// robustlab benchmark: the main job. Trains (or reuses from the cache) the default model on
// Fashion-MNIST and reports its clean error on the test set.
#include "common.h"

#include "robustlab/core/log.h"
#include "robustlab/models/default_model.h"
#include "robustlab/models/predict.h"

namespace robustlab::cli {

void add_benchmark_command(CLI::App& app, Globals& g) {
  struct Flags {
    DefaultModelOptions model;
    DatasetOptions data;
    std::string cache_dir;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("benchmark", "The default benchmark: the default model's clean error on Fashion-MNIST");
  cmd->add_option("--cache-dir", f->cache_dir, "Where the default model is cached (default: ~/.cache/robustlab)");
  cmd->add_flag("--retrain", f->model.retrain, "Train the default model even if it is cached");
  cmd->add_option("--epochs", f->model.train.epochs, "Epochs for training the default model")->capture_default_str();
  cmd->add_option("--limit", f->data.subset.limit, "Evaluate on the first N test images")->check(CLI::PositiveNumber);
  cmd->callback([f, &g] {
    apply_globals(g);
    f->model.cache_dir = f->cache_dir;
    f->model.train.seed = g.seed;
    nlohmann::json config = {{"model", f->model.model.to_json()}, {"train", f->model.train.to_json()},
                             {"dataset", dataset_config(f->data)}};
    record_run(g, "benchmark", config, [&](Store& store, int64_t run) {
      const DefaultModel dm = default_model(f->model, [&](const EpochStats& s) {
        store.add_results(run, {{"default", "fashion-mnist/train", {{"epoch", s.epoch}}, "train_loss", s.loss, 60000}});
        log_info("epoch ", s.epoch, ": loss ", fixed(s.loss, 4), ", train accuracy ", fixed(s.train_accuracy, 4),
                 ", ", fixed(s.images_per_second, 0), " images/s");
      });
      const DatasetPtr test = open_dataset(f->data);
      const AccuracyResult acc = evaluate_accuracy(*dm.model, test, 256, "clean");
      const std::string model = "default:" + dm.model->config().arch;
      store.add_results(run, {{model, test->name(), nlohmann::json::object(), "error", acc.error(), acc.total},
                              {model, test->name(), nlohmann::json::object(), "accuracy", acc.accuracy(), acc.total}});
      if (g.json) {
        print_json({{"run", run}, {"model", model}, {"checkpoint", dm.checkpoint.string()}, {"dataset", test->name()},
                    {"clean_error", acc.error()}, {"clean_accuracy", acc.accuracy()}, {"images", acc.total}});
      } else {
        print_table({"model", "dataset", "images", "clean accuracy", "clean error"},
                    {{model, test->name(), std::to_string(acc.total), fixed(acc.accuracy(), 4), fixed(acc.error(), 4)}});
        std::cout << "model checkpoint: " << dm.checkpoint.string() << "\nresults stored in run " << run << " of "
                  << g.db << "\n";
      }
    });
  });
}

}  // namespace robustlab::cli
