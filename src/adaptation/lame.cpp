// LAME: output-only test-time adaptation by Laplacian-regularised assignment (see lame.h).
#include "robustlab/adaptation/lame.h"

#include <cmath>

#include <torch/torch.h>

#include "robustlab/core/error.h"

namespace robustlab::adaptation {

void LameOptions::validate() const {
  if (knn < 1 || max_steps < 1 || !(bound_lambda >= 0))
    throw InvalidArgument("lame: need knn >= 1, max_steps >= 1 and lambda >= 0");
}

torch::Tensor rbf_affinity(const torch::Tensor& features, int64_t knn) {
  const torch::Tensor dist = torch::cdist(features, features);
  const int64_t k = std::min<int64_t>(knn, features.size(0));
  const torch::Tensor kth = std::get<0>(dist.topk(k, -1, /*largest=*/false)).select(1, k - 1);
  const torch::Tensor sigma = kth.mean();
  return torch::exp(-dist.square() / (2 * sigma.square()));
}

namespace {

double energy(const torch::Tensor& y, const torch::Tensor& unary, const torch::Tensor& pairwise, double lambda) {
  return (unary * y - lambda * pairwise * y + y * torch::log(y.clamp_min(1e-20))).sum().item<double>();
}

}  // namespace

torch::Tensor laplacian_optimization(const torch::Tensor& unary, const torch::Tensor& kernel, double lambda,
                                     int64_t max_steps) {
  torch::Tensor y = torch::softmax(-unary, -1);
  double previous = INFINITY;
  for (int64_t i = 0; i < max_steps; ++i) {
    const torch::Tensor pairwise = lambda * kernel.matmul(y);
    y = torch::softmax(-unary + pairwise, -1);
    const double e = energy(y, unary, pairwise, lambda);
    if (i > 1 && std::abs(e - previous) <= 1e-8 * std::abs(previous)) break;
    previous = e;
  }
  return y;
}

torch::Tensor predict_lame(Classifier& model, const torch::Tensor& x, const LameOptions& options) {
  options.validate();
  torch::NoGradGuard no_grad;
  model.set_training(false);
  const auto [features, logits] = model.features_and_logits(x);
  const torch::Tensor unary = -torch::log(torch::softmax(logits, 1) + 1e-10);
  torch::Tensor kernel = rbf_affinity(torch::nn::functional::normalize(
                                          features.flatten(1), torch::nn::functional::NormalizeFuncOptions().p(2).dim(-1)),
                                      options.knn);
  if (options.force_symmetry) kernel = (kernel + kernel.t()) / 2;
  return laplacian_optimization(unary, kernel, options.bound_lambda, options.max_steps);
}

}  // namespace robustlab::adaptation
