// Reader for the IDX format of MNIST and Fashion-MNIST (LeCun et al., "THE MNIST DATABASE";
// Xiao et al. 2017, arXiv:1708.07747), raw or gzip-compressed, with the magic number and the
// sizes validated against the header. The default dataset of every command is Fashion-MNIST
// from Debian's dataset-fashion-mnist.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "robustlab/data/dataset.h"

namespace robustlab {

/// An unsigned-byte IDX array: dims from the header, values in row-major order.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

/// Reads an IDX file of unsigned bytes (type 0x08), plain or .gz. Throws IoError when the file is
/// missing and FormatError when the magic number is wrong, the type is not unsigned byte, or the
/// data is shorter or longer than the header says.
IdxArray load_idx(const std::filesystem::path& path);

/// A dataset from an IDX image file ([N,H,W]) and label file ([N]); images become [N,1,H,W].
std::shared_ptr<TensorDataset> load_idx_dataset(const std::filesystem::path& images,
                                                const std::filesystem::path& labels,
                                                std::vector<std::string> class_names,
                                                std::string name);

/// Where Fashion-MNIST lives: $ROBUSTLAB_FASHION_MNIST, else /usr/share/datasets/fashion-mnist.
std::filesystem::path default_fashion_mnist_dir();

/// The Fashion-MNIST class names in label order.
const std::vector<std::string>& fashion_mnist_classes();

/// Fashion-MNIST's "train" (60,000) or "test" (10,000) split from `dir`, which holds the four
/// IDX files (raw or .gz).
std::shared_ptr<TensorDataset> load_fashion_mnist(const std::string& split,
                                                  const std::filesystem::path& dir =
                                                      default_fashion_mnist_dir());

/// True if `dir` holds an MNIST-style IDX dataset (train-images-idx3-ubyte[.gz], ...).
bool is_idx_dir(const std::filesystem::path& dir);

}  // namespace robustlab
