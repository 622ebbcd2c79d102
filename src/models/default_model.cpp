// The cached default model (see default_model.h).
#include "robustlab/models/default_model.h"

#include <cstdio>

#include "robustlab/core/log.h"
#include "robustlab/core/paths.h"
#include "robustlab/core/random.h"
#include "robustlab/data/idx.h"
#include "robustlab/models/load.h"

namespace fs = std::filesystem;

namespace robustlab {

fs::path default_model_path(const DefaultModelOptions& options) {
  const fs::path dir = options.cache_dir.empty() ? default_cache_dir() : options.cache_dir;
  std::string key = options.model.to_json().dump() + options.train.to_json().dump();
  if (options.train_limit > 0) key += " limit " + std::to_string(options.train_limit);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(text_hash(key)));
  return dir / ("default-" + options.model.arch + "-" + std::string(hex, 10) + ".ckpt");
}

DefaultModel default_model(const DefaultModelOptions& options,
                           const std::function<void(const EpochStats&)>& on_epoch) {
  const fs::path path = default_model_path(options);
  if (!options.retrain && fs::exists(path)) {
    auto model = std::dynamic_pointer_cast<ZooClassifier>(load_classifier(path.string()));
    if (model) {
      log_info("using the cached default model ", path.string());
      return {model, path, false};
    }
  }
  auto model = std::make_shared<ZooClassifier>(options.model);
  DatasetPtr train = load_fashion_mnist("train");
  if (options.train_limit > 0) train = make_subset(train, {.limit = options.train_limit});
  log_info("training the default model (", options.model.arch, ", ", options.train.epochs,
           " epochs on ", train->size(), " images of ", train->name(), "); it is cached at ", path.string());
  TrainOptions train_options = options.train;
  train_options.resume = resume_path(path);  // an interrupted training continues after its last epoch
  train_classifier(*model, train, train_options, nullptr, on_epoch);
  save_checkpoint(*model, path, {{"train", options.train.to_json()}, {"dataset", train->name()}});
  fs::remove(train_options.resume);
  model->set_origin(path.string());
  return {model, path, true};
}

}  // namespace robustlab
