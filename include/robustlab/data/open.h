// One way for every command to name its data: "fashion-mnist" (the default, from Debian's
// dataset-fashion-mnist), a folder of MNIST-format IDX files, an ImageNet-layout image folder, or a
// torch.save'd {"x","y"} file; then a deterministic subset.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "robustlab/data/dataset.h"
#include "robustlab/data/image_folder.h"

namespace robustlab {

struct DatasetOptions {
  std::string spec = "fashion-mnist";  ///< "fashion-mnist", an IDX folder, an image folder, a .pt file
  std::string split = "test";          ///< "train" or "test" for fashion-mnist and IDX folders
  ImageTransform transform;            ///< for image folders
  std::optional<std::filesystem::path> class_list;  ///< for image folders (e.g. ImageNet WNIDs)
  SubsetOptions subset;
  void validate() const;
};

/// Opens the dataset `options` names. Throws InvalidArgument for a name that is neither a known
/// dataset nor an existing path, and the reader's errors for broken files.
DatasetPtr open_dataset(const DatasetOptions& options);

/// Whether the dataset has train and test splits (fashion-mnist and IDX folders do).
bool has_splits(const DatasetOptions& options);

}  // namespace robustlab
