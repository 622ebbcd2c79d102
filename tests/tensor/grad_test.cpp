// Gradients on the differentiable backend: known answers, finite differences, the aux and
// function forms. (On xtensor they do not compile; tests/tensor/no_grad_on_xtensor.cpp checks the
// message.)
#include <gtest/gtest.h>

#include "robustlab/tensor/grad.h"
#include "robustlab/tensor/projections.h"
#include "tensor_support.h"

namespace robustlab::tensor {
namespace {

using T = Tensor<TorchBackend>;

TEST(Grad, SquareSumKnownAnswer) {
  const T x = astensor(torch::arange(8, torch::kFloat32));
  const auto [loss, grad] = value_and_grad<TorchBackend>([](const T& v) { return v.square().sum(); }, x);
  EXPECT_FLOAT_EQ(loss.raw().item<float>(), 140.0f);
  EXPECT_TRUE(grad.raw().equal(2 * torch::arange(8, torch::kFloat32)));
  EXPECT_FALSE(x.raw().requires_grad()) << "the input is not touched";
  EXPECT_FALSE(loss.raw().requires_grad());
}

TEST(Grad, MatchesFiniteDifferences) {
  torch::manual_seed(0);
  const T x = astensor(torch::rand({3, 4}, torch::kFloat64) + 0.1);
  auto f = [](const T& v) { return (norms::lp(v, 3.0, {1}) * 2.0 + (v.exp() / (v.abs() + 1.0)).mean({1})).sum(); };
  const auto [loss, grad] = value_and_grad<TorchBackend>(f, x);
  const double h = 1e-6;
  for (int64_t i = 0; i < 12; ++i) {
    torch::Tensor up = x.raw().clone(), down = x.raw().clone();
    up.view({-1})[i] += h;
    down.view({-1})[i] -= h;
    const double numeric = (f(astensor(up)).raw().item<double>() - f(astensor(down)).raw().item<double>()) / (2 * h);
    EXPECT_NEAR(grad.raw().view({-1})[i].item<double>(), numeric, 1e-6) << "entry " << i;
  }
}

TEST(Grad, AuxAndReusableFunction) {
  const T x = astensor(torch::tensor({1.0f, -2.0f, 3.0f}));
  const auto [loss, aux, grad] = value_aux_and_grad<TorchBackend>(
      [](const T& v) { return std::pair{v.abs().sum(), v.argmax(0)}; }, x);
  EXPECT_FLOAT_EQ(loss.raw().item<float>(), 6.0f);
  EXPECT_EQ(aux.to_vector(), (std::vector<int64_t>{2}));
  EXPECT_TRUE(grad.raw().equal(torch::tensor({1.0f, -1.0f, 1.0f})));
  const auto fn = value_and_grad_fn<TorchBackend>([](const T& v) { return (v * 3.0).sum(); });
  EXPECT_TRUE(fn(x).second.raw().equal(torch::full({3}, 3.0f)));
}

TEST(Grad, NonScalarLossAndUnusedInput) {
  const T x = astensor(torch::ones({2, 2}));
  EXPECT_THROW(value_and_grad<TorchBackend>([](const T& v) { return v * 2.0; }, x), ShapeError);
  const auto [loss, grad] = value_and_grad<TorchBackend>([](const T& v) { return zeros_like(v).sum() + 1.0; }, x);
  EXPECT_TRUE(grad.raw().equal(torch::zeros({2, 2})));
}

}  // namespace
}  // namespace robustlab::tensor
