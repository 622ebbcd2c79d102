// Supervised training of zoo models with cross-entropy: Adam or SGD with momentum, optional
// cosine learning-rate decay, and the standard augmentations (random crop with zero padding,
// horizontal flip; He et al. 2016, arXiv:1512.03385, §4.2; vertical flip, as Funke et al. 2021
// train on SVRT).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "robustlab/data/dataset.h"
#include "robustlab/models/classifier.h"

namespace robustlab {

struct TrainOptions {
  int64_t epochs = 3;
  double lr = 1e-3;
  int64_t batch_size = 128;
  std::string optimizer = "adam";  ///< "adam" or "sgd" (momentum 0.9, Nesterov)
  double weight_decay = 0.0;
  bool cosine = true;        ///< cosine decay of the learning rate to 0 over all steps
  bool random_crop = false;  ///< pad by crop_padding with zeros, then crop at a random offset
  int64_t crop_padding = 4;
  bool flip = false;           ///< random horizontal flip
  bool vertical_flip = false;  ///< random vertical flip
  uint64_t seed = 0;  ///< data order and augmentation
  /// A resumable training checkpoint (zoo models only; not part of to_json): written after each
  /// epoch, and a run with the same settings continues after the last epoch it holds, to the same
  /// weights. The caller removes it once the trained model is saved. Empty: none.
  std::filesystem::path resume;
  void validate() const;
  nlohmann::json to_json() const;
};

struct EpochStats {
  int64_t epoch = 0;  ///< 1-based
  double loss = 0.0;  ///< mean training loss
  double train_accuracy = 0.0;
  double val_accuracy = -1.0;  ///< -1 without a validation set
  double seconds = 0.0;
  double images_per_second = 0.0;
};

/// Where the resumable training of the model saved at `checkpoint` keeps its state: "<checkpoint>.resume".
std::filesystem::path resume_path(const std::filesystem::path& checkpoint);

/// Random crop and flip of a batch (x: [N,C,H,W]), each sample with its own offsets drawn from
/// `rng_seed`. Returns x unchanged when neither augmentation is on.
torch::Tensor augment(const torch::Tensor& x, const TrainOptions& options, uint64_t rng_seed);

/// Trains `model` on `train`, evaluating on `val` after each epoch when given. Calls `on_epoch`
/// after each epoch it trains (with options.resume, not for the epochs a resumed run takes from the
/// checkpoint). Throws NumericalError when the loss becomes NaN.
std::vector<EpochStats> train_classifier(Classifier& model, const DatasetPtr& train,
                                         const TrainOptions& options, const DatasetPtr& val = nullptr,
                                         const std::function<void(const EpochStats&)>& on_epoch = {});

}  // namespace robustlab
