// Test-time adaptation throughput: BN adaptation (N = 0) and RPL (one SGD step per batch on the
// BN affine parameters) on the reference Fashion-MNIST CNN (../shared/reference/fmn/fmnist_cnn.pt,
// the default model's architecture), batches of 128, 1 and 2 threads. bench/adapt_throughput.py
// runs the same loops with PyTorch's Python API; docs/performance.md has the figures.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "robustlab/adaptation/bn.h"
#include "robustlab/adaptation/self_learning.h"
#include "robustlab/core/parallel.h"
#include "robustlab/models/load.h"

namespace {

robustlab::ClassifierPtr model() {
  return robustlab::load_classifier(ROBUSTLAB_SHARED_DIR "/reference/fmn/fmnist_cnn.pt", {});
}

void BM_BnAdaptation(benchmark::State& state) {
  robustlab::set_threads(static_cast<int>(state.range(0)));
  torch::manual_seed(0);
  auto m = model();
  const torch::Tensor x = torch::rand({128, 1, 28, 28});
  for (auto _ : state) benchmark::DoNotOptimize(robustlab::adaptation::predict_bn_adapted(*m, x, {.prior = 0}));
  state.SetItemsProcessed(state.iterations() * 128);
}

void BM_Rpl(benchmark::State& state) {
  robustlab::set_threads(static_cast<int>(state.range(0)));
  torch::manual_seed(0);
  auto m = model();
  const torch::Tensor x = torch::rand({128, 1, 28, 28});
  robustlab::adaptation::SelfLearner learner(*m, {.lr = 1e-3});
  for (auto _ : state) benchmark::DoNotOptimize(learner.step(x));
  state.SetItemsProcessed(state.iterations() * 128);
}

BENCHMARK(BM_BnAdaptation)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_Rpl)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->MinTime(3.0);

}  // namespace
