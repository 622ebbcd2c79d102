// Datasets saved from Python with torch.save({"x": images, "y": labels}), such as the FMN
// reference data (../shared/reference/fmn/fmnist_test200.pt), and single arrays saved with
// torch.save(tensor) or numpy.save.
#pragma once

#include <filesystem>
#include <memory>

#include "robustlab/data/dataset.h"

namespace robustlab {

/// Loads a dict with "x" ([N,C,H,W] float32 in [0,1] or uint8) and "y" ([N] integer labels).
/// `num_classes` <= 0 takes max(y)+1. Throws IoError/FormatError naming the file and the problem.
std::shared_ptr<TensorDataset> load_tensor_file(const std::filesystem::path& path,
                                                int64_t num_classes = -1);

/// One array: a .npy file (numpy.save) or a torch.save'd tensor (.pt, .pth). Throws IoError for a
/// missing file and FormatError for another extension or content.
torch::Tensor load_array(const std::filesystem::path& path);

}  // namespace robustlab
