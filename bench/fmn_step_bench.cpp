// Time per FMN step on ../shared/reference/fmn/fmnist_cnn.pt, one thread, batch sizes 1, 16 and
// 200, against the official Python FMN (../shared/reference/fmn/TIMINGS.md: 4.1-4.3 ms per step at
// batch 1, 22 ms at 16, 250-280 ms at 200; forward plus input gradient alone 3.56 / 18.99 /
// 219.65 ms in PyTorch's Python API). Each iteration runs a 20-step attack; the reported time is
// divided by 20 (items = steps).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "robustlab/attacks/fmn.h"
#include "robustlab/core/parallel.h"
#include "robustlab/data/tensor_file.h"
#include "robustlab/models/load.h"

namespace ra = robustlab::attacks;

namespace {

constexpr int64_t kSteps = 20;

struct Fixture {
  robustlab::ClassifierPtr model;
  torch::Tensor x, y;
};
const Fixture& fixture() {
  static const Fixture f = [] {
    const std::string dir = ROBUSTLAB_SHARED_DIR "/reference/fmn/";
    Fixture out{robustlab::load_classifier(dir + "fmnist_cnn.pt"), {}, {}};
    const auto data = robustlab::load_tensor_file(dir + "fmnist_test200.pt", 10);
    std::vector<int64_t> idx(200);
    std::iota(idx.begin(), idx.end(), 0);
    const auto b = data->get_batch(idx);
    out.x = b.x;
    out.y = b.y;
    return out;
  }();
  return f;
}

void BM_FmnStep(benchmark::State& state) {
  robustlab::set_threads(1);
  const int64_t batch = state.range(0);
  const auto norm = static_cast<ra::Norm>(state.range(1));
  const Fixture& f = fixture();
  const torch::Tensor x = f.x.narrow(0, 0, batch), y = f.y.narrow(0, 0, batch);
  for (auto _ : state) {
    benchmark::DoNotOptimize(ra::fmn(*f.model, x, y, {.norm = norm, .steps = kSteps, .official = true}).norms);
  }
  state.SetItemsProcessed(state.iterations() * kSteps);
  state.counters["ms_per_step"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kSteps), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

/// Forward pass, logit difference and input gradient only: what one step cannot avoid.
void BM_ForwardBackward(benchmark::State& state) {
  robustlab::set_threads(1);
  const int64_t batch = state.range(0);
  const Fixture& f = fixture();
  for (auto& p : f.model->parameters()) p.set_requires_grad(false);
  const torch::Tensor x0 = f.x.narrow(0, 0, batch), y = f.y.narrow(0, 0, batch);
  for (auto _ : state) {
    const torch::Tensor x = x0.clone().requires_grad_(true);
    const torch::Tensor l = ra::logit_difference(f.model->forward(x), y, false).sum();
    benchmark::DoNotOptimize(torch::autograd::grad({l}, {x})[0]);
  }
  state.counters["ms_per_step"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

}  // namespace

BENCHMARK(BM_ForwardBackward)->Arg(1)->Arg(16)->Arg(200)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FmnStep)
    ->ArgsProduct({{1, 16, 200}, {static_cast<int64_t>(ra::Norm::kL0), static_cast<int64_t>(ra::Norm::kL1),
                                  static_cast<int64_t>(ra::Norm::kL2), static_cast<int64_t>(ra::Norm::kLinf)}})
    ->Unit(benchmark::kMillisecond);
