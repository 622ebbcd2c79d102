// Datasets saved from Python with torch.save({"x": images, "y": labels}), such as the FMN
// reference data (../shared/reference/fmn/fmnist_test200.pt).
#pragma once

#include <filesystem>
#include <memory>

#include "robustlab/data/dataset.h"

namespace robustlab {

/// Loads a dict with "x" ([N,C,H,W] float32 in [0,1] or uint8) and "y" ([N] integer labels).
/// `num_classes` <= 0 takes max(y)+1. Throws IoError/FormatError naming the file and the problem.
std::shared_ptr<TensorDataset> load_tensor_file(const std::filesystem::path& path,
                                                int64_t num_classes = -1);

}  // namespace robustlab
