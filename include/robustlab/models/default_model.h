// The default model of `robustlab benchmark`: the CIFAR-style ResNet-20 trained on Fashion-MNIST,
// cached as a checkpoint so that it is trained once per configuration and reused afterwards.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include "robustlab/models/train.h"
#include "robustlab/models/zoo.h"

namespace robustlab {

struct DefaultModelOptions {
  std::filesystem::path cache_dir;  ///< empty: default_cache_dir()
  bool retrain = false;             ///< train even when a cached checkpoint exists
  ZooConfig model{.arch = "resnet20"};  ///< for 1x28x28, 10 classes
  TrainOptions train{.epochs = 3, .lr = 2e-3, .batch_size = 128};
  /// Train on the first N images of the training split (0: all 60,000): a quick model for a look at
  /// the benchmark or a test of it, cached apart from the full one.
  int64_t train_limit = 0;
};

struct DefaultModel {
  std::shared_ptr<ZooClassifier> model;
  std::filesystem::path checkpoint;
  bool trained_now = false;  ///< false when it came from the cache
};

/// The checkpoint path for `options`: <cache>/default-<arch>-<hash of model and training config>.ckpt
/// (the hash covers train_limit when it is set).
std::filesystem::path default_model_path(const DefaultModelOptions& options);

/// Loads the cached default model, or trains it on the Fashion-MNIST training split (calling
/// `on_epoch` after each epoch) and caches it.
DefaultModel default_model(const DefaultModelOptions& options,
                           const std::function<void(const EpochStats&)>& on_epoch = {});

}  // namespace robustlab
