// The SlowVAE study's costs: dSprites rendering (images/s), one SlowVAE training step on a batch
// of 32 pairs (64 images; bench/slowvae_step.py runs the same model and loss in PyTorch's Python
// API), and each disentanglement metric on 10,000 samples of 5 factors and 10 codes.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <random>

#include "robustlab/core/parallel.h"
#include "robustlab/representation/disentanglement.h"
#include "robustlab/representation/metrics.h"
#include "robustlab/representation/slowvae.h"
#include "robustlab/representation/sprites_data.h"

namespace rep = robustlab::representation;

namespace {

void BM_RenderDSprites(benchmark::State& state) {
  robustlab::set_threads(static_cast<int>(state.range(0)));
  std::mt19937_64 rng(0);
  const torch::Tensor f = rep::sample_dsprites_factors(1024, rng);
  for (auto _ : state) benchmark::DoNotOptimize(rep::render_dsprites(f));
  state.SetItemsProcessed(state.iterations() * 1024);
}
BENCHMARK(BM_RenderDSprites)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_SlowVaeStep(benchmark::State& state) {
  robustlab::set_threads(static_cast<int>(state.range(0)));
  torch::manual_seed(0);
  rep::BetaVae model(10, 1);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-4));
  std::mt19937_64 rng(0);
  const torch::Tensor f1 = rep::sample_dsprites_factors(32, rng);
  const torch::Tensor f2 = rep::next_factors(f1, {}, rng);
  const torch::Tensor x = rep::render_dsprites(torch::stack({f1, f2}, 1).view({-1, 5}));
  for (auto _ : state) {
    const auto [mu, logvar] = model->encode(x);
    const torch::Tensor z = mu + (logvar / 2).exp() * torch::randn_like(mu);
    const rep::SlowVaeLoss loss = rep::slowvae_loss(x, model->decode(z), mu, logvar, {});
    optimizer.zero_grad();
    loss.total.backward();
    optimizer.step();
    benchmark::DoNotOptimize(loss.total.item<float>());
  }
  state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_SlowVaeStep)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_Metric(benchmark::State& state) {
  robustlab::set_threads(2);
  std::mt19937_64 rng(0);
  const torch::Tensor f = rep::sample_dsprites_factors(15000, rng);
  const torch::Tensor codes = torch::cat({f.to(torch::kFloat32) + 0.3 * torch::randn({15000, 5}), torch::randn({15000, 5})}, 1);
  const torch::Tensor ftr = f.narrow(0, 0, 10000), ctr = codes.narrow(0, 0, 10000);
  const torch::Tensor fte = f.narrow(0, 10000, 5000), cte = codes.narrow(0, 10000, 5000);
  for (auto _ : state) {
    switch (state.range(0)) {
      case 0: benchmark::DoNotOptimize(rep::mcc_spearman(ftr, ctr).mcc); break;
      case 1: benchmark::DoNotOptimize(rep::mig(ftr, ctr)); break;
      case 2: benchmark::DoNotOptimize(rep::modularity(ftr, ctr)); break;
      case 3: benchmark::DoNotOptimize(rep::explicitness(ftr, ctr, fte, cte).test); break;
      case 4: benchmark::DoNotOptimize(rep::sap(ftr, ctr, fte, cte)); break;
      default: benchmark::DoNotOptimize(rep::dci(ftr, ctr, fte, cte).disentanglement); break;
    }
  }
}
// 0 MCC, 1 MIG, 2 modularity, 3 explicitness, 4 SAP, 5 DCI.
BENCHMARK(BM_Metric)->DenseRange(0, 5)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
