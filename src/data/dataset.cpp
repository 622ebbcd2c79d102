// Datasets, subsets and the batch loader (see dataset.h).
#include "robustlab/data/dataset.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>

#include "robustlab/core/error.h"
#include "robustlab/core/parallel.h"
#include "robustlab/core/random.h"

namespace robustlab {

void Dataset::check_index(int64_t i) const {
  if (i < 0 || i >= size()) {
    throw InvalidArgument(name() + ": index " + std::to_string(i) + " out of range [0, " +
                          std::to_string(size()) + ")");
  }
}

Batch Dataset::get_batch(const std::vector<int64_t>& indices) const {
  std::vector<Example> examples(indices.size());
  parallel_for(static_cast<int64_t>(indices.size()),
               [&](int64_t k) { examples[k] = get(indices[k]); });
  std::vector<torch::Tensor> images;
  std::vector<int64_t> labels;
  images.reserve(examples.size());
  labels.reserve(examples.size());
  for (size_t k = 0; k < examples.size(); ++k) {
    if (k > 0 && examples[k].image.sizes() != examples[0].image.sizes()) {
      throw ShapeError(name() + ": images of different sizes in one batch (" +
                       c10::str(examples[0].image.sizes()) + " and " +
                       c10::str(examples[k].image.sizes()) + "); set a resize and crop");
    }
    images.push_back(examples[k].image);
    labels.push_back(examples[k].label);
  }
  Batch batch;
  batch.x = images.empty() ? torch::empty({0}) : torch::stack(images);
  batch.y = torch::tensor(labels, torch::kInt64);
  batch.index = torch::tensor(indices, torch::kInt64);
  return batch;
}

TensorDataset::TensorDataset(torch::Tensor images, torch::Tensor labels,
                             std::vector<std::string> class_names, std::string name)
    : images_(std::move(images)),
      labels_(std::move(labels)),
      class_names_(std::move(class_names)),
      name_(std::move(name)) {
  if (images_.dim() != 4) {
    throw ShapeError("TensorDataset '" + name_ + "': images must be [N,C,H,W], got " +
                     c10::str(images_.sizes()));
  }
  if (labels_.dim() != 1 || labels_.size(0) != images_.size(0)) {
    throw ShapeError("TensorDataset '" + name_ + "': labels must be [" +
                     std::to_string(images_.size(0)) + "], got " + c10::str(labels_.sizes()));
  }
  if (images_.scalar_type() != torch::kUInt8 && images_.scalar_type() != torch::kFloat32) {
    throw FormatError("TensorDataset '" + name_ + "': images must be uint8 or float32, got " +
                      std::string(c10::toString(images_.scalar_type())));
  }
  if (images_.scalar_type() == torch::kFloat32 && images_.numel() > 0) {
    if (!torch::isfinite(images_).all().item<bool>()) {
      throw NumericalError("TensorDataset '" + name_ + "': images contain NaN or infinite values");
    }
    const double lo = images_.min().item<double>();
    const double hi = images_.max().item<double>();
    if (lo < 0.0 || hi > 1.0) {
      throw InvalidArgument("TensorDataset '" + name_ + "': float images must lie in [0,1], got [" +
                            std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
  }
  labels_ = labels_.to(torch::kInt64).contiguous();
  if (labels_.numel() > 0) {
    const int64_t lo = labels_.min().item<int64_t>();
    const int64_t hi = labels_.max().item<int64_t>();
    if (lo < 0 || hi >= num_classes()) {
      throw InvalidArgument("TensorDataset '" + name_ + "': labels must lie in [0, " +
                            std::to_string(num_classes()) + "), got [" + std::to_string(lo) +
                            ", " + std::to_string(hi) + "]");
    }
  }
}

torch::Tensor TensorDataset::to_float(const torch::Tensor& images) const {
  if (images.scalar_type() == torch::kUInt8) return images.to(torch::kFloat32).div_(255.0);
  return images.clone();
}

Example TensorDataset::get(int64_t i) const {
  check_index(i);
  return {to_float(images_[i]), labels_[i].item<int64_t>()};
}

Batch TensorDataset::get_batch(const std::vector<int64_t>& indices) const {
  for (int64_t i : indices) check_index(i);
  auto idx = torch::tensor(indices, torch::kInt64);
  return {to_float(images_.index_select(0, idx)), labels_.index_select(0, idx), idx};
}

void SubsetOptions::validate() const {
  if (offset < 0) throw InvalidArgument("SubsetOptions: offset must be >= 0, got " + std::to_string(offset));
  if (limit < -1 || limit == 0) {
    throw InvalidArgument("SubsetOptions: limit must be positive (or -1 for all), got " +
                          std::to_string(limit));
  }
}

SubsetDataset::SubsetDataset(DatasetPtr base, std::vector<int64_t> indices)
    : base_(std::move(base)), indices_(std::move(indices)) {
  for (int64_t i : indices_) {
    if (i < 0 || i >= base_->size()) {
      throw InvalidArgument("SubsetDataset: index " + std::to_string(i) + " out of range for '" +
                            base_->name() + "' with " + std::to_string(base_->size()) + " examples");
    }
  }
}

Example SubsetDataset::get(int64_t i) const {
  check_index(i);
  return base_->get(indices_[static_cast<size_t>(i)]);
}

Batch SubsetDataset::get_batch(const std::vector<int64_t>& indices) const {
  std::vector<int64_t> mapped;
  mapped.reserve(indices.size());
  for (int64_t i : indices) {
    check_index(i);
    mapped.push_back(indices_[static_cast<size_t>(i)]);
  }
  Batch batch = base_->get_batch(mapped);
  batch.index = torch::tensor(indices, torch::kInt64);
  return batch;
}

DatasetPtr make_subset(DatasetPtr base, const SubsetOptions& options) {
  options.validate();
  const int64_t n = base->size();
  if (options.offset >= n && !(n == 0 && options.offset == 0)) {
    throw InvalidArgument("make_subset: offset " + std::to_string(options.offset) +
                          " is beyond the " + std::to_string(n) + " examples of '" + base->name() + "'");
  }
  const int64_t available = n - options.offset;
  const int64_t count = options.limit < 0 ? available : std::min(options.limit, available);
  if (options.offset == 0 && count == n && !options.sample) return base;
  std::vector<int64_t> indices(static_cast<size_t>(available));
  std::iota(indices.begin(), indices.end(), options.offset);
  if (options.sample) {
    auto rng = make_rng(options.seed, 0x5u);
    std::shuffle(indices.begin(), indices.end(), rng);
    indices.resize(static_cast<size_t>(count));
    std::sort(indices.begin(), indices.end());
  } else {
    indices.resize(static_cast<size_t>(count));
  }
  return std::make_shared<SubsetDataset>(std::move(base), std::move(indices));
}

void LoaderOptions::validate() const {
  if (batch_size < 1) {
    throw InvalidArgument("LoaderOptions: batch size must be >= 1, got " + std::to_string(batch_size));
  }
}

BatchLoader::BatchLoader(DatasetPtr dataset, LoaderOptions options)
    : dataset_(std::move(dataset)), options_(options) {
  options_.validate();
  order_.resize(static_cast<size_t>(dataset_->size()));
  set_epoch(0);
}

void BatchLoader::set_epoch(int64_t epoch) {
  std::iota(order_.begin(), order_.end(), 0);
  if (options_.shuffle) {
    auto rng = make_rng(options_.seed, static_cast<uint64_t>(epoch));
    std::shuffle(order_.begin(), order_.end(), rng);
  }
}

int64_t BatchLoader::num_batches() const {
  const int64_t n = dataset_->size();
  const int64_t b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

Batch BatchLoader::batch(int64_t b) const {
  if (b < 0 || b >= num_batches()) {
    throw InvalidArgument("BatchLoader: batch " + std::to_string(b) + " out of range [0, " +
                          std::to_string(num_batches()) + ")");
  }
  const int64_t begin = b * options_.batch_size;
  const int64_t end = std::min<int64_t>(begin + options_.batch_size, dataset_->size());
  std::vector<int64_t> indices(order_.begin() + begin, order_.begin() + end);
  return dataset_->get_batch(indices);
}

}  // namespace robustlab
