// Cross-entropy training loop for zoo models (see train.h).
#include "robustlab/models/train.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <numbers>

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/core/progress.h"
#include "robustlab/core/random.h"
#include "robustlab/models/device.h"
#include "robustlab/models/predict.h"
#include "robustlab/models/training_checkpoint.h"
#include "robustlab/models/zoo.h"

namespace robustlab {

void TrainOptions::validate() const {
  if (epochs < 1) throw InvalidArgument("train: epochs must be >= 1, got " + std::to_string(epochs));
  if (!(lr > 0) || !std::isfinite(lr)) throw InvalidArgument("train: learning rate must be positive, got " + std::to_string(lr));
  if (batch_size < 1) throw InvalidArgument("train: batch size must be >= 1, got " + std::to_string(batch_size));
  if (optimizer != "adam" && optimizer != "sgd") {
    throw InvalidArgument("train: optimizer must be 'adam' or 'sgd', got '" + optimizer + "'");
  }
  if (weight_decay < 0) throw InvalidArgument("train: weight decay must be >= 0, got " + std::to_string(weight_decay));
  if (crop_padding < 0) throw InvalidArgument("train: crop padding must be >= 0, got " + std::to_string(crop_padding));
}

nlohmann::json TrainOptions::to_json() const {
  nlohmann::json json = {{"epochs", epochs}, {"lr", lr},           {"batch_size", batch_size}, {"optimizer", optimizer},
                         {"weight_decay", weight_decay}, {"cosine", cosine}, {"random_crop", random_crop},
                         {"crop_padding", crop_padding}, {"flip", flip}, {"seed", seed}};
  // Only when on, so that the options of earlier runs (and the default model's cache key) stay as they were.
  if (vertical_flip) json["vertical_flip"] = true;
  return json;
}

std::filesystem::path resume_path(const std::filesystem::path& checkpoint) { return checkpoint.string() + ".resume"; }

torch::Tensor augment(const torch::Tensor& x, const TrainOptions& options, uint64_t rng_seed) {
  if (!options.random_crop && !options.flip && !options.vertical_flip) return x;
  auto rng = make_rng(rng_seed, 0xA0);
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3), p = options.crop_padding;
  torch::Tensor padded = options.random_crop && p > 0 ? torch::constant_pad_nd(x, {p, p, p, p}, 0.0) : x;
  std::uniform_int_distribution<int64_t> offset(0, options.random_crop ? 2 * p : 0);
  std::bernoulli_distribution coin(0.5);
  std::vector<torch::Tensor> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t dy = offset(rng), dx = offset(rng);
    torch::Tensor sample = padded[i].narrow(1, dy, h).narrow(2, dx, w);
    if (options.flip && coin(rng)) sample = sample.flip({2});
    if (options.vertical_flip && coin(rng)) sample = sample.flip({1});
    out.push_back(sample);
  }
  return torch::stack(out);
}

std::vector<EpochStats> train_classifier(Classifier& model, const DatasetPtr& train,
                                         const TrainOptions& options, const DatasetPtr& val,
                                         const std::function<void(const EpochStats&)>& on_epoch) {
  options.validate();
  BatchLoader loader(train, {.batch_size = options.batch_size, .shuffle = true, .drop_last = false,
                             .seed = options.seed});
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  if (options.optimizer == "adam") {
    optimizer = std::make_unique<torch::optim::Adam>(
        model.parameters(), torch::optim::AdamOptions(options.lr).weight_decay(options.weight_decay));
  } else {
    optimizer = std::make_unique<torch::optim::SGD>(
        model.parameters(),
        torch::optim::SGDOptions(options.lr).momentum(0.9).nesterov(true).weight_decay(options.weight_decay));
  }
  // Resuming: the weights and the optimiser's state after the last epoch the checkpoint holds. The
  // data order and the augmentation are seeded by epoch and step, so no engine state is needed.
  int64_t first_epoch = 1;
  ZooNet* net = nullptr;
  std::string settings;
  std::mt19937_64 unused_engine;
  if (!options.resume.empty()) {
    auto* zoo = dynamic_cast<ZooClassifier*>(&model);
    if (!zoo) throw InvalidArgument("train: only zoo models keep a resumable training checkpoint");
    net = &zoo->net();
    settings = nlohmann::json{{"model", zoo->config().to_json()}, {"train", options.to_json()},
                              {"dataset", train->name()}, {"images", train->size()}}.dump();
    if (std::filesystem::exists(options.resume)) {
      if (training_checkpoint_options(options.resume, "train") != settings) {
        log_warning("the training checkpoint ", options.resume.string(), " holds another training; starting from epoch 1");
      } else {
        first_epoch = resume_training_checkpoint(options.resume, "train", settings, *net, *optimizer, unused_engine) + 1;
        log_info("resuming the training after epoch ", first_epoch - 1, " from ", options.resume.string());
      }
    }
  }
  const int64_t total_steps = options.epochs * loader.num_batches();
  int64_t step = (first_epoch - 1) * loader.num_batches();
  std::vector<EpochStats> history;
  for (int64_t epoch = first_epoch; epoch <= options.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    model.set_training(true);
    loader.set_epoch(epoch);
    Progress progress("epoch " + std::to_string(epoch) + "/" + std::to_string(options.epochs), train->size());
    double loss_sum = 0.0;
    int64_t correct = 0, seen = 0;
    for (int64_t b = 0; b < loader.num_batches(); ++b, ++step) {
      if (options.cosine) {
        const double lr = options.lr * 0.5 * (1.0 + std::cos(std::numbers::pi * step / total_steps));
        for (auto& group : optimizer->param_groups()) group.options().set_lr(lr);
      }
      const Batch batch = loader.batch(b);
      const torch::Tensor x = to_device(augment(batch.x, options, mix_seed(options.seed) ^ static_cast<uint64_t>(step)),
                                        model.device());
      optimizer->zero_grad();
      const torch::Tensor logits = model.forward(x);
      const torch::Tensor loss = torch::cross_entropy_loss(logits, to_device(batch.y, model.device()));
      const double loss_value = loss.item<double>();
      if (!std::isfinite(loss_value)) {
        throw NumericalError("train: loss became " + std::to_string(loss_value) + " at epoch " +
                             std::to_string(epoch) + ", batch " + std::to_string(b) +
                             " (try a smaller learning rate)");
      }
      loss.backward();
      optimizer->step();
      loss_sum += loss_value * static_cast<double>(batch.size());
      correct += logits.argmax(1).cpu().eq(batch.y).sum().item<int64_t>();
      seen += batch.size();
      progress.advance(batch.size());
    }
    progress.finish();
    EpochStats stats;
    stats.epoch = epoch;
    stats.loss = loss_sum / static_cast<double>(seen);
    stats.train_accuracy = static_cast<double>(correct) / static_cast<double>(seen);
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    stats.images_per_second = static_cast<double>(seen) / stats.seconds;
    if (val) stats.val_accuracy = evaluate_accuracy(model, val).accuracy();
    history.push_back(stats);
    if (on_epoch) on_epoch(stats);
    if (net) save_training_checkpoint(options.resume, settings, *net, *optimizer, epoch, unused_engine);
  }
  model.set_training(false);
  return history;
}

}  // namespace robustlab
