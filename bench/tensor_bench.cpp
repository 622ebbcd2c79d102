// Overhead of the tensor layer over raw LibTorch and xtensor calls for norms and projections on
// a 100x3x32x32 batch (issue: tensor; goal: at most 5 %). Each pair computes the same thing,
// once through Tensor<B> and once written directly against the native library.
#include <benchmark/benchmark.h>

#include "robustlab/core/parallel.h"
#include "robustlab/tensor/projections.h"
#include "robustlab/tensor/torch_backend.h"
#include "robustlab/tensor/xtensor_backend.h"

namespace rt = robustlab::tensor;

namespace {

torch::Tensor torch_batch() {
  torch::manual_seed(0);
  return torch::randn({100, 3, 32, 32});
}
xt::xarray<float> xt_batch() {
  const torch::Tensor t = torch_batch().contiguous();
  return xt::adapt(std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel()),
                   std::vector<size_t>{100, 3, 32, 32});
}

void BM_TorchL2NormRaw(benchmark::State& state) {
  robustlab::set_threads(1);
  const torch::Tensor x = torch_batch();
  for (auto _ : state) benchmark::DoNotOptimize(x.flatten(1).square().sum({1}).sqrt());
}
void BM_TorchL2NormWrapped(benchmark::State& state) {
  robustlab::set_threads(1);
  const auto x = rt::astensor(torch_batch());
  for (auto _ : state) benchmark::DoNotOptimize(rt::norms::per_sample(x, 2).raw());
}

void BM_TorchProjectL2Raw(benchmark::State& state) {
  robustlab::set_threads(1);
  const torch::Tensor x = torch_batch();
  const torch::Tensor eps = torch::full({100}, 10.0);
  for (auto _ : state) {
    const torch::Tensor norm = x.flatten(1).square().sum({1}).sqrt().clamp_min(1e-12);
    benchmark::DoNotOptimize(x * torch::minimum(eps / norm, torch::ones_like(norm)).view({100, 1, 1, 1}));
  }
}
void BM_TorchProjectL2Wrapped(benchmark::State& state) {
  robustlab::set_threads(1);
  const auto x = rt::astensor(torch_batch());
  const auto eps = rt::astensor(torch::full({100}, 10.0));
  for (auto _ : state) benchmark::DoNotOptimize(rt::project_l2(x, eps).raw());
}

void BM_TorchProjectLinfRaw(benchmark::State& state) {
  robustlab::set_threads(1);
  const torch::Tensor x = torch_batch();
  const torch::Tensor eps = torch::full({100}, 0.5).view({100, 1, 1, 1});
  for (auto _ : state) benchmark::DoNotOptimize(torch::minimum(torch::maximum(x, -eps), eps));
}
void BM_TorchProjectLinfWrapped(benchmark::State& state) {
  robustlab::set_threads(1);
  const auto x = rt::astensor(torch_batch());
  const auto eps = rt::astensor(torch::full({100}, 0.5));
  for (auto _ : state) benchmark::DoNotOptimize(rt::project_linf(x, eps).raw());
}

void BM_TorchProjectL1Raw(benchmark::State& state) {
  robustlab::set_threads(1);
  const torch::Tensor x = torch_batch();
  const torch::Tensor eps = torch::full({100, 1}, 10.0);
  for (auto _ : state) {
    const torch::Tensor v = x.flatten(1).abs();
    const torch::Tensor u = std::get<0>(v.sort(true, 1, true));
    const torch::Tensor c = u.cumsum(1);
    const torch::Tensor j = torch::arange(1, v.size(1) + 1, x.options()).view({1, -1});
    const torch::Tensor rho = (u * j > c - eps).to(x.scalar_type()).sum(1, true);
    const torch::Tensor c_rho = torch::where(j == rho, c, torch::zeros_like(c)).sum(1, true);
    const torch::Tensor theta = ((c_rho - eps) / rho.clamp_min(1)).clamp_min(0);
    const torch::Tensor y = (x.flatten(1).sign() * (v - theta).clamp_min(0)).view(x.sizes());
    const torch::Tensor inside = (v.sum(1) <= eps.view({-1})).view({100, 1, 1, 1});
    benchmark::DoNotOptimize(torch::where(inside, x, y));
  }
}
void BM_TorchProjectL1Wrapped(benchmark::State& state) {
  robustlab::set_threads(1);
  const auto x = rt::astensor(torch_batch());
  const auto eps = rt::astensor(torch::full({100}, 10.0));
  for (auto _ : state) benchmark::DoNotOptimize(rt::project_l1(x, eps).raw());
}

void BM_XtL2NormRaw(benchmark::State& state) {
  const xt::xarray<float> x = xt_batch();
  for (auto _ : state) {
    xt::xarray<float> flat = x;
    flat.reshape({100, 3072});
    xt::xarray<float> n = xt::sqrt(xt::sum(xt::square(flat), {1}));
    benchmark::DoNotOptimize(n.data());
  }
}
void BM_XtL2NormWrapped(benchmark::State& state) {
  const auto x = rt::astensor(xt_batch());
  for (auto _ : state) benchmark::DoNotOptimize(rt::norms::per_sample(x, 2).raw().data());
}

void BM_XtProjectLinfRaw(benchmark::State& state) {
  const xt::xarray<float> x = xt_batch();
  xt::xarray<float> eps = xt::full_like(xt::xarray<float>::from_shape({100}), 0.5f);
  eps.reshape({100, 1, 1, 1});
  for (auto _ : state) {
    xt::xarray<float> y = xt::minimum(xt::maximum(x, -eps), eps);
    benchmark::DoNotOptimize(y.data());
  }
}
void BM_XtProjectLinfWrapped(benchmark::State& state) {
  const auto x = rt::astensor(xt_batch());
  const auto eps = rt::astensor(xt::xarray<float>(xt::full_like(xt::xarray<float>::from_shape({100}), 0.5f)));
  for (auto _ : state) benchmark::DoNotOptimize(rt::project_linf(x, eps).raw().data());
}

BENCHMARK(BM_TorchL2NormRaw);
BENCHMARK(BM_TorchL2NormWrapped);
BENCHMARK(BM_TorchProjectL2Raw);
BENCHMARK(BM_TorchProjectL2Wrapped);
BENCHMARK(BM_TorchProjectLinfRaw);
BENCHMARK(BM_TorchProjectLinfWrapped);
BENCHMARK(BM_TorchProjectL1Raw);
BENCHMARK(BM_TorchProjectL1Wrapped);
BENCHMARK(BM_XtL2NormRaw);
BENCHMARK(BM_XtL2NormWrapped);
BENCHMARK(BM_XtProjectLinfRaw);
BENCHMARK(BM_XtProjectLinfWrapped);

}  // namespace
