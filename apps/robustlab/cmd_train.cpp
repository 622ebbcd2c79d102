// robustlab train: trains a zoo model and saves a checkpoint that records its architecture.
#include "common.h"

#include "robustlab/core/log.h"
#include "robustlab/models/train.h"

namespace robustlab::cli {

void add_train_command(CLI::App& app, Globals& g) {
  struct Flags {
    ZooConfig model;
    TrainOptions train;
    DatasetOptions data;
    DatasetOptions val;
    bool no_val = false;
    bool no_cosine = false;
    std::string output = "model.ckpt";
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("train", "Train a zoo model on a dataset and save a checkpoint");
  cmd->add_option("--model", f->model.arch, "Architecture: small_cnn, resnet18, resnet50, resnet20, resnet20_patch4")
      ->capture_default_str();
  add_dataset_flags(*cmd, f->data, "train");
  cmd->add_option("--epochs", f->train.epochs, "Training epochs")->capture_default_str();
  cmd->add_option("--lr", f->train.lr, "Learning rate")->capture_default_str();
  cmd->add_option("--batch-size", f->train.batch_size, "Batch size")->capture_default_str();
  cmd->add_option("--optimizer", f->train.optimizer, "adam or sgd")->capture_default_str();
  cmd->add_option("--weight-decay", f->train.weight_decay, "Weight decay")->capture_default_str();
  cmd->add_flag("--no-cosine", f->no_cosine, "Constant learning rate instead of cosine decay");
  cmd->add_flag("--random-crop", f->train.random_crop, "Augment: random crop after zero padding");
  cmd->add_option("--crop-padding", f->train.crop_padding, "Padding for --random-crop")->capture_default_str();
  cmd->add_flag("--flip", f->train.flip, "Augment: random horizontal flip");
  cmd->add_flag("--vertical-flip", f->train.vertical_flip, "Augment: random vertical flip");
  cmd->add_flag("--no-val", f->no_val, "Skip the per-epoch evaluation on the test split");
  cmd->add_option("--mean", f->model.normalization.mean, "Per-channel input mean (inside the model)")->delimiter(',');
  cmd->add_option("--std", f->model.normalization.std, "Per-channel input std (inside the model)")->delimiter(',');
  cmd->add_option("-o,--output", f->output, "Checkpoint to write")->capture_default_str();
  cmd->callback([f, &g] {
    apply_globals(g);
    f->train.cosine = !f->no_cosine;
    f->train.seed = g.seed;
    f->train.resume = resume_path(f->output);  // after each epoch; an interrupted training continues from it
    const DatasetPtr train = open_dataset(f->data);
    DatasetPtr val;
    if (!f->no_val && f->data.split == "train" && has_splits(f->data)) {
      DatasetOptions v = f->data;
      v.split = "test";
      v.subset = {};
      val = open_dataset(v);
    }
    const Example first = train->get(0);
    f->model.in_channels = first.image.size(0);
    f->model.image_size = first.image.size(1);
    f->model.num_classes = train->num_classes();
    auto model = std::make_shared<ZooClassifier>(f->model);
    nlohmann::json config = {{"model", f->model.to_json()}, {"train", f->train.to_json()},
                             {"dataset", dataset_config(f->data)}, {"output", f->output}};
    record_run(g, "train", config, [&](Store& store, int64_t run) {
      log_info("training ", f->model.arch, " on ", train->name(), " (", train->size(), " images) for ",
               f->train.epochs, " epochs");
      nlohmann::json epochs = nlohmann::json::array();
      std::vector<std::vector<std::string>> rows;
      train_classifier(*model, train, f->train, val, [&](const EpochStats& s) {
        std::vector<ResultRow> results = {
            {f->model.arch, train->name(), {{"epoch", s.epoch}}, "train_loss", s.loss, train->size()},
            {f->model.arch, train->name(), {{"epoch", s.epoch}}, "train_accuracy", s.train_accuracy, train->size()}};
        if (val) results.push_back({f->model.arch, val->name(), {{"epoch", s.epoch}}, "accuracy", s.val_accuracy, val->size()});
        store.add_results(run, results);
        log_info("epoch ", s.epoch, ": loss ", fixed(s.loss, 4), ", train accuracy ", fixed(s.train_accuracy, 4),
                 val ? ", test accuracy " + fixed(s.val_accuracy, 4) : std::string(), ", ",
                 fixed(s.images_per_second, 0), " images/s");
        epochs.push_back({{"epoch", s.epoch}, {"loss", s.loss}, {"train_accuracy", s.train_accuracy},
                          {"test_accuracy", val ? nlohmann::json(s.val_accuracy) : nlohmann::json()},
                          {"seconds", s.seconds}, {"images_per_second", s.images_per_second}});
        rows.push_back({std::to_string(s.epoch), fixed(s.loss, 4), fixed(s.train_accuracy, 4),
                        val ? fixed(s.val_accuracy, 4) : "-", fixed(s.images_per_second, 0)});
      });
      save_checkpoint(*model, f->output, {{"train", f->train.to_json()}, {"dataset", dataset_config(f->data)},
                                         {"epochs", epochs}});
      std::filesystem::remove(f->train.resume);
      if (g.json) {
        print_json({{"run", run}, {"checkpoint", f->output}, {"epochs", epochs}});
      } else {
        print_table({"epoch", "loss", "train acc", "test acc", "images/s"}, rows);
        std::cout << "checkpoint: " << f->output << "\n";
      }
    });
  });
}

}  // namespace robustlab::cli
