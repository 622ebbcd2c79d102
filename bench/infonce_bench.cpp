// One training step of the contrastive-identifiability study (Zimmermann et al. 2021; cl-ica's
// main_mlp.py train_step): the frozen generator g and the reference encoder f (n = 10) on a batch
// of positive pairs, the InfoNCE loss (dot product on the sphere, or L1 on the box as in cl-ica's
// default Laplace runs), backward, Adam. The pairs are drawn beforehand (as the Python script
// does). Arguments: threads, batch (512 or 6144), loss (0 dot, 1 L1). Also the metrics (R² and
// both MCCs) on 6,144 × 10 arrays. bench/infonce_step.py runs the same step in PyTorch's Python
// API with the reference's own loss arithmetic; docs/representation.md has the figures.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "robustlab/core/parallel.h"
#include "robustlab/representation/encoder.h"
#include "robustlab/representation/infonce.h"
#include "robustlab/representation/latents.h"
#include "robustlab/representation/metrics.h"
#include "robustlab/representation/mixing.h"

namespace rep = robustlab::representation;

namespace {

void BM_InfoNceStep(benchmark::State& state) {
  robustlab::set_threads(static_cast<int>(state.range(0)));
  const int64_t batch = state.range(1);
  const bool dot = state.range(2) == 0;
  torch::manual_seed(0);
  const rep::MixingNetwork g = rep::make_mixing_network({.n = 10, .cond_iterations = 1000});
  rep::Encoder f(rep::EncoderOptions{
      .n_in = 10, .n_out = 10, .normalization = dot ? rep::OutputNormalization::kFixedSphere : rep::OutputNormalization::kNone});
  torch::optim::Adam optimizer(f->parameters(), torch::optim::AdamOptions(1e-4));
  const rep::LatentSpace space(dot ? rep::LatentSpaceOptions{.space = rep::SpaceKind::kSphere,
                                                             .conditional = {rep::DistributionKind::kVmf, 1.0}}
                                   : rep::LatentSpaceOptions{.conditional = {rep::DistributionKind::kLaplace, 0.05}});
  torch::Generator gen = at::detail::createCPUGenerator(1);
  const torch::Tensor z1 = space.sample_marginal(batch, gen), z2 = space.sample_conditional(z1, gen);
  const rep::InfoNceOptions loss{.loss = dot ? rep::ContrastiveLoss::kDot : rep::ContrastiveLoss::kLp, .p = 1.0};
  for (auto _ : state) {
    optimizer.zero_grad();
    const torch::Tensor both = f->forward(g.forward(torch::cat({z1, z2})));
    const torch::Tensor l = rep::infonce_loss(both.narrow(0, 0, batch), both.narrow(0, batch, batch), loss).mean();
    l.backward();
    optimizer.step();
    benchmark::DoNotOptimize(l.item<float>());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_InfoNceStep)->ArgsProduct({{1, 2}, {512, 6144}, {0, 1}})->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_Metrics(benchmark::State& state) {
  robustlab::set_threads(1);
  torch::manual_seed(0);
  const torch::Tensor z = torch::rand({6144, 10}), h = torch::mm(z, torch::randn({10, 10})) + 0.1 * torch::randn({6144, 10});
  for (auto _ : state) {
    switch (state.range(0)) {
      case 0: benchmark::DoNotOptimize(rep::linear_r2(z, h)); break;
      case 1: benchmark::DoNotOptimize(rep::mcc_pearson(z, h).mcc); break;
      default: benchmark::DoNotOptimize(rep::mcc_spearman(z, h).mcc); break;
    }
  }
}
BENCHMARK(BM_Metrics)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace
