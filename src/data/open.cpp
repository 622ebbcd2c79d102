// Resolves a dataset name or path to a reader (see open.h).
#include "robustlab/data/open.h"

#include "robustlab/core/error.h"
#include "robustlab/data/idx.h"
#include "robustlab/data/tensor_file.h"

namespace fs = std::filesystem;

namespace robustlab {

void DatasetOptions::validate() const {
  if (split != "train" && split != "test") {
    throw InvalidArgument("dataset split must be 'train' or 'test', got '" + split + "'");
  }
  transform.validate();
  subset.validate();
}

bool has_splits(const DatasetOptions& options) {
  return options.spec == "fashion-mnist" || is_idx_dir(options.spec);
}

DatasetPtr open_dataset(const DatasetOptions& options) {
  options.validate();
  DatasetPtr base;
  const fs::path path(options.spec);
  if (options.spec == "fashion-mnist") {
    base = load_fashion_mnist(options.split);
  } else if (is_idx_dir(path)) {
    base = load_fashion_mnist(options.split, path);
  } else if (fs::is_directory(path)) {
    base = std::make_shared<ImageFolder>(path, options.transform, options.class_list);
  } else if (fs::is_regular_file(path) && (path.extension() == ".pt" || path.extension() == ".pth")) {
    base = load_tensor_file(path);
  } else if (fs::exists(path)) {
    throw InvalidArgument("open_dataset: '" + options.spec +
                          "' is not a dataset (expected a folder or a .pt file)");
  } else {
    throw InvalidArgument("open_dataset: unknown dataset '" + options.spec +
                          "' (expected 'fashion-mnist', an existing folder or a .pt file)");
  }
  return make_subset(base, options.subset);
}

}  // namespace robustlab
