// Corruptions inside an evaluation: a batched tensor entry point and a dataset view that corrupts
// on the fly (Fashion-MNIST-C and friends), built on corrupt() in corruptions.h.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "robustlab/corruptions/corruptions.h"
#include "robustlab/data/dataset.h"

namespace robustlab::corruptions {

/// Corrupts each image of `images` ([N,C,H,W] float in [0,1], C = 1 or 3) with its own random
/// stream corruption_rng(seed, ids[i], name, severity), in parallel; the result does not depend on
/// the thread count. Images are quantised to 8 bits (rounded) first, as an image file would be.
/// Images smaller than 32 px (Fashion-MNIST's 28x28) are enlarged bilinearly to 32 px on the short
/// side, corrupted, and shrunk back with area averaging (the reference requires 32 px, and its
/// 32x32 path is the one checked against reference outputs). Grayscale input gives grayscale
/// output: the luma (0.299 R + 0.587 G + 0.114 B) of the corrupted RGB image.
/// ids: [N] int64, e.g. the dataset indices of the batch.
torch::Tensor corrupt_batch(const torch::Tensor& images, const torch::Tensor& ids, std::string_view name,
                            int severity, uint64_t seed, const Options& options = {});

/// A dataset whose images are corrupted on access with `name` at `severity`; image i always gets
/// the same corruption (stream from (seed, i)).
class CorruptedDataset : public Dataset {
 public:
  CorruptedDataset(DatasetPtr base, std::string name, int severity, uint64_t seed, Options options = {});
  int64_t size() const override { return base_->size(); }
  Example get(int64_t i) const override;
  Batch get_batch(const std::vector<int64_t>& indices) const override;
  int64_t num_classes() const override { return base_->num_classes(); }
  std::vector<std::string> class_names() const override { return base_->class_names(); }
  std::string name() const override;

 private:
  DatasetPtr base_;
  std::string corruption_;
  int severity_;
  uint64_t seed_;
  Options options_;
};

}  // namespace robustlab::corruptions
