// NumPy's array files (numpy.lib.format, NEP 1): reading .npy of any numeric dtype (format version
// 1-3, C order, little-endian), as CIFAR-10-C and CIFAR-100-C ship (Hendrycks & Dietterich 2019:
// <corruption>.npy, uint8 [50000,32,32,3], the five severities as consecutive blocks; labels.npy,
// uint8 [50000]) and as users hand over latents and codes; writing .npy and uncompressed .npz
// (a zip of .npy members, what numpy.savez writes), atomically.
#pragma once

#include <filesystem>

#include <torch/types.h>

#include "robustlab/data/dataset.h"

namespace robustlab {

/// The array in `path` as a tensor of its shape and dtype (bool, uint8, int8/16/32/64, float32/64).
/// Throws IoError when the file is missing, FormatError when it is not an .npy file, is truncated,
/// or holds another dtype, big-endian data or Fortran order.
torch::Tensor read_npy(const std::filesystem::path& path);
/// read_npy, and FormatError unless the array holds uint8 values.
torch::Tensor read_npy_u8(const std::filesystem::path& path);

/// The .npy bytes of a tensor (any of the dtypes above; made contiguous).
std::string npy_bytes(const torch::Tensor& array);
/// Writes `array` as an .npy file (atomically).
void write_npy(const std::filesystem::path& path, const torch::Tensor& array);
/// Writes the named arrays as an uncompressed .npz file (numpy.load reads it; atomically).
void write_npz(const std::filesystem::path& path, const std::vector<std::pair<std::string, torch::Tensor>>& arrays);

/// One severity of a CIFAR-C corruption array: rows (severity-1)·n/5 .. severity·n/5 of `images`
/// ([n,H,W,C] uint8, read from <corruption>.npy) with the same rows of `labels` ([n]), as a dataset
/// of float [C,H,W] images called `name`. Throws ShapeError when the arrays do not fit together.
DatasetPtr cifar_c_severity(const torch::Tensor& images, const torch::Tensor& labels, int severity,
                            const std::string& name);

}  // namespace robustlab
