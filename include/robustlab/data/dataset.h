// The dataset abstraction: random access to labelled images as float CHW tensors in [0,1],
// deterministic subsets (--limit, --offset, seeded sampling) and a batch loader with seeded
// shuffling. Datasets stream: a batch is decoded when it is asked for, so a dataset larger than
// memory works.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace robustlab {

/// One labelled image. image: [C,H,W] float32 in [0,1]; label in [0, num_classes).
struct Example {
  torch::Tensor image;
  int64_t label = 0;
};

/// A batch. x: [N,C,H,W] float32 in [0,1]; y: [N] int64; index: [N] int64 positions in the
/// dataset the batch was drawn from.
struct Batch {
  torch::Tensor x;
  torch::Tensor y;
  torch::Tensor index;
  int64_t size() const { return x.size(0); }
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  /// The i-th example; throws InvalidArgument if i is out of range.
  virtual Example get(int64_t i) const = 0;
  virtual int64_t num_classes() const = 0;
  /// Names of the classes, in label order (size num_classes()).
  virtual std::vector<std::string> class_names() const = 0;
  /// A short description for logs and the store ("fashion-mnist/test", a folder path).
  virtual std::string name() const = 0;
  /// The examples at `indices`, stacked; decodes in parallel. All images must share one shape.
  virtual Batch get_batch(const std::vector<int64_t>& indices) const;

 protected:
  void check_index(int64_t i) const;
};

using DatasetPtr = std::shared_ptr<const Dataset>;

/// An in-memory dataset. images: [N,C,H,W] uint8 (0..255) or float32 in [0,1]; labels: [N] int64.
class TensorDataset : public Dataset {
 public:
  TensorDataset(torch::Tensor images, torch::Tensor labels, std::vector<std::string> class_names,
                std::string name);
  int64_t size() const override { return labels_.size(0); }
  Example get(int64_t i) const override;
  int64_t num_classes() const override { return static_cast<int64_t>(class_names_.size()); }
  std::vector<std::string> class_names() const override { return class_names_; }
  std::string name() const override { return name_; }
  Batch get_batch(const std::vector<int64_t>& indices) const override;

 private:
  torch::Tensor to_float(const torch::Tensor& images) const;
  torch::Tensor images_;
  torch::Tensor labels_;
  std::vector<std::string> class_names_;
  std::string name_;
};

/// Which part of a dataset to use. Without `sample`, examples offset .. offset+limit-1 in order;
/// with `sample`, `limit` examples drawn without replacement by `seed` from those after `offset`.
struct SubsetOptions {
  int64_t offset = 0;
  int64_t limit = -1;  ///< -1: all remaining examples
  bool sample = false;
  uint64_t seed = 0;
  void validate() const;
};

/// A view of `base` restricted to `indices` (positions in `base`).
class SubsetDataset : public Dataset {
 public:
  SubsetDataset(DatasetPtr base, std::vector<int64_t> indices);
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Example get(int64_t i) const override;
  int64_t num_classes() const override { return base_->num_classes(); }
  std::vector<std::string> class_names() const override { return base_->class_names(); }
  std::string name() const override { return base_->name(); }
  Batch get_batch(const std::vector<int64_t>& indices) const override;
  /// Position in the base dataset of example i.
  int64_t base_index(int64_t i) const { return indices_.at(static_cast<size_t>(i)); }

 private:
  DatasetPtr base_;
  std::vector<int64_t> indices_;
};

/// The subset of `base` chosen by `options`; returns `base` itself when nothing is excluded.
/// Throws InvalidArgument when the offset lies beyond the dataset.
DatasetPtr make_subset(DatasetPtr base, const SubsetOptions& options);

struct LoaderOptions {
  int64_t batch_size = 128;
  bool shuffle = false;
  bool drop_last = false;
  uint64_t seed = 0;
  void validate() const;
};

/// Splits a dataset into batches. With shuffling, the order of epoch e is a seeded permutation
/// from (seed, e), so every epoch differs and every run repeats.
class BatchLoader {
 public:
  BatchLoader(DatasetPtr dataset, LoaderOptions options);
  int64_t num_batches() const;
  /// Chooses the permutation of `epoch` (only matters with shuffling).
  void set_epoch(int64_t epoch);
  /// Batch b of the current epoch (0 <= b < num_batches()).
  Batch batch(int64_t b) const;
  const Dataset& dataset() const { return *dataset_; }

 private:
  DatasetPtr dataset_;
  LoaderOptions options_;
  std::vector<int64_t> order_;
};

}  // namespace robustlab
