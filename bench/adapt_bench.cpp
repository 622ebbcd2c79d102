// Test-time adaptation throughput: BN adaptation (N = 0) and RPL (one SGD step per batch on the
// BN affine parameters), batches of 128, 1 and 2 threads, on two models: the reference
// Fashion-MNIST CNN (../shared/reference/fmn/fmnist_cnn.pt, TorchScript; second argument 0) and
// ResNet-20, the default model of `robustlab benchmark` (zoo; second argument 1).
// bench/adapt_throughput.py runs the same loops with PyTorch's Python API; docs/adaptation.md has
// the figures.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "robustlab/adaptation/bn.h"
#include "robustlab/adaptation/augment.h"
#include "robustlab/adaptation/self_learning.h"
#include <ATen/CPUGeneratorImpl.h>
#include "robustlab/core/parallel.h"
#include "robustlab/models/load.h"
#include "robustlab/models/zoo.h"

namespace {

robustlab::ClassifierPtr model(int64_t which) {
  if (which == 0) return robustlab::load_classifier(ROBUSTLAB_SHARED_DIR "/reference/fmn/fmnist_cnn.pt", {});
  return std::make_shared<robustlab::ZooClassifier>(robustlab::ZooConfig{.arch = "resnet20"});
}

void BM_BnAdaptation(benchmark::State& state) {
  robustlab::set_threads(static_cast<int>(state.range(0)));
  torch::manual_seed(0);
  auto m = model(state.range(1));
  const torch::Tensor x = torch::rand({128, 1, 28, 28});
  for (auto _ : state) benchmark::DoNotOptimize(robustlab::adaptation::predict_bn_adapted(*m, x, {.prior = 0}));
  state.SetItemsProcessed(state.iterations() * 128);
}

void BM_Rpl(benchmark::State& state) {
  robustlab::set_threads(static_cast<int>(state.range(0)));
  torch::manual_seed(0);
  auto m = model(state.range(1));
  const torch::Tensor x = torch::rand({128, 1, 28, 28});
  robustlab::adaptation::SelfLearner learner(*m, {.lr = 1e-3});
  for (auto _ : state) benchmark::DoNotOptimize(learner.step(x));
  state.SetItemsProcessed(state.iterations() * 128);
}

// The TTA benchmark's methods on ResNet-20 at its batch size 64: TENT, EATA (Fisher from 4
// batches, diversity margin 0.4 as for 10 classes) and SAR (two forward-backward passes), SGD lr
// 2.5e-4; CoTTA (every parameter, 32 augmented teacher views: the untrained network is never
// confident), RoTTA (one update on the 64-image bank per batch) and ROID with the CIFAR-10 yaml's
// Adam lr 1e-3. bench/adapt_throughput.py --tta has the same loops in Python (not RoTTA).
void BM_TtaMethod(benchmark::State& state) {
  robustlab::set_threads(static_cast<int>(state.range(0)));
  torch::manual_seed(0);
  auto m = model(1);
  const torch::Tensor x = torch::rand({64, 1, 28, 28});
  static const char* kNames[] = {"tent", "eata", "sar", "cotta", "rotta", "roid"};
  robustlab::adaptation::SelfLearningOptions o;
  o.loss = robustlab::adaptation::parse_loss(kNames[state.range(1)]);
  o.adapted = o.loss == robustlab::adaptation::Loss::kCotta ? robustlab::adaptation::Adapted::kAll
                                                            : robustlab::adaptation::Adapted::kNormAffine;
  o.optimizer = state.range(1) < 3 ? "sgd" : "adam";
  o.lr = state.range(1) < 3 ? 2.5e-4 : 1e-3;
  o.entropy_margin = 2;  // the untrained network's predictions are near uniform: keep them all
  o.diversity_margin = 1.1;
  robustlab::adaptation::SelfLearner learner(*m, o);
  if (learner.needs_fisher()) learner.estimate_fisher({x, x, x, x});
  for (auto _ : state) benchmark::DoNotOptimize(learner.step(x));
  state.SetLabel(kNames[state.range(1)]);
  state.SetItemsProcessed(state.iterations() * 64);
}

// CoTTA's augmentation alone on a batch of 64 (where its step spends the time not in the 34
// forward passes and one backward).
void BM_CottaAugment(benchmark::State& state) {
  robustlab::set_threads(2);
  torch::manual_seed(0);
  const torch::Tensor x = torch::rand({64, 1, 28, 28});
  at::Generator g = at::detail::createCPUGenerator(0);
  for (auto _ : state) benchmark::DoNotOptimize(robustlab::adaptation::cotta_augment(x, {}, g));
  state.SetItemsProcessed(state.iterations() * 64);
}

BENCHMARK(BM_CottaAugment)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_TtaMethod)->ArgsProduct({{2}, {0, 1, 2, 3, 4, 5}})->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_BnAdaptation)->ArgsProduct({{1, 2}, {0, 1}})->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_Rpl)->ArgsProduct({{1, 2}, {0, 1}})->Unit(benchmark::kMillisecond)->MinTime(3.0);

}  // namespace
