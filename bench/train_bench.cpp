// Training throughput of the default model (small_cnn) on Fashion-MNIST: one Adam step on a batch
// of 128 in-memory images per iteration, 2 threads. bench/train_throughput.py runs the same model
// and loop with PyTorch's Python API; docs/performance.md has the figures.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "robustlab/core/parallel.h"
#include "robustlab/data/idx.h"
#include "robustlab/models/zoo.h"

namespace {

void BM_TrainStep(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const int64_t batch = state.range(1);
  robustlab::set_threads(threads);
  torch::manual_seed(0);
  const auto data = robustlab::load_fashion_mnist("train");
  std::vector<int64_t> idx(static_cast<size_t>(batch));
  robustlab::ZooClassifier model({.arch = "small_cnn"});
  model.set_training(true);
  torch::optim::Adam optimizer(model.parameters(), torch::optim::AdamOptions(1e-3));
  int64_t step = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int64_t k = 0; k < batch; ++k) idx[static_cast<size_t>(k)] = (step * batch + k) % data->size();
    ++step;
    state.ResumeTiming();
    const robustlab::Batch b = data->get_batch(idx);
    optimizer.zero_grad();
    const auto loss = torch::cross_entropy_loss(model.forward(b.x), b.y);
    loss.backward();
    optimizer.step();
    benchmark::DoNotOptimize(loss.item<float>());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_TrainStep)->Args({2, 128})->Args({1, 128})->Unit(benchmark::kMillisecond)->MinTime(5.0);

}  // namespace
