// Reading NumPy .npy files of 8-bit values (format version 1-3, C order), as CIFAR-10-C and
// CIFAR-100-C ship (Hendrycks & Dietterich 2019: <corruption>.npy, uint8 [50000,32,32,3], the five
// severities as consecutive blocks; labels.npy, uint8 [50000]).
#pragma once

#include <filesystem>

#include <torch/types.h>

#include "robustlab/data/dataset.h"

namespace robustlab {

/// The array in `path` as a uint8 tensor of its shape. Throws IoError when the file is missing,
/// FormatError when it is not an .npy file, is truncated, or holds another dtype or Fortran order.
torch::Tensor read_npy_u8(const std::filesystem::path& path);

/// One severity of a CIFAR-C corruption array: rows (severity-1)·n/5 .. severity·n/5 of `images`
/// ([n,H,W,C] uint8, read from <corruption>.npy) with the same rows of `labels` ([n]), as a dataset
/// of float [C,H,W] images called `name`. Throws ShapeError when the arrays do not fit together.
DatasetPtr cifar_c_severity(const torch::Tensor& images, const torch::Tensor& labels, int severity,
                            const std::string& name);

}  // namespace robustlab
