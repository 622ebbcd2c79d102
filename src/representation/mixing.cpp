// cl-ica's invertible MLP g (see mixing.h): pcl initialisation, the condition-number filter, and a
// per-seed cache of the accepted matrices as an .npy file.
// cpu (whole file): g is fixed, small and cached; its output is moved to the encoder's device.
#include "robustlab/representation/mixing.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/data/npy.h"

namespace robustlab::representation {
namespace {

/// `count` pcl matrices: U(−1, 1) entries, columns of unit L2 norm. [count, n, n] float64.
torch::Tensor pcl_matrices(int64_t count, int64_t n, torch::Generator& gen) {
  const torch::Tensor a = torch::empty({count, n, n}, torch::kFloat64).uniform_(-1.0, 1.0, gen);
  return a / a.square().sum(1, true).sqrt();
}

constexpr int64_t kChunk = 4096;

}  // namespace

void MixingOptions::validate() const {
  if (n < 2) throw InvalidArgument("mixing network: n must be at least 2, got " + std::to_string(n));
  if (layers < 1) throw InvalidArgument("mixing network: layers must be >= 1, got " + std::to_string(layers));
  if (!(cond_thresh_ratio >= 0 && cond_thresh_ratio < 1)) {
    throw InvalidArgument("mixing network: cond_thresh_ratio must be in [0, 1), got " + std::to_string(cond_thresh_ratio));
  }
  if (cond_iterations < 1) {
    throw InvalidArgument("mixing network: cond_iterations must be >= 1, got " + std::to_string(cond_iterations));
  }
}

MixingNetwork::MixingNetwork(std::vector<torch::Tensor> weights, double negative_slope)
    : weights_(std::move(weights)), negative_slope_(negative_slope) {
  if (weights_.empty()) throw InvalidArgument("mixing network: no layers");
  for (const auto& w : weights_) {
    if (w.dim() != 2 || w.size(0) != w.size(1) || w.size(0) != weights_[0].size(0)) {
      throw ShapeError("mixing network: every weight must be the same square matrix size, got " + c10::str(w.sizes()));
    }
  }
}

torch::Tensor MixingNetwork::forward(const torch::Tensor& z) const {
  torch::Tensor x = z;
  for (size_t i = 0; i < weights_.size(); ++i) {
    x = torch::mm(x, weights_[i].t());
    if (i + 1 < weights_.size()) x = torch::leaky_relu(x, negative_slope_);
  }
  return x;
}

torch::Tensor MixingNetwork::inverse(const torch::Tensor& x_in) const {
  torch::Tensor x = x_in.to(torch::kFloat64);
  for (size_t k = weights_.size(); k-- > 0;) {
    if (k + 1 < weights_.size()) x = torch::where(x >= 0, x, x / negative_slope_);
    // x = y W^T  =>  y = x W^{-T}: solve W y^T = x^T.
    x = torch::linalg_solve(weights_[k].to(torch::kFloat64), x.t()).t();
  }
  return x.to(torch::kFloat32);
}

std::vector<double> MixingNetwork::condition_numbers() const {
  std::vector<double> out;
  for (const auto& w : weights_) out.push_back(torch::linalg_cond(w.to(torch::kFloat64)).item<double>());
  return out;
}

MixingNetwork make_mixing_network(const MixingOptions& o, const std::optional<std::filesystem::path>& cache_dir) {
  o.validate();
  char name[160];
  std::snprintf(name, sizeof name, "mixing-n%lld-l%lld-r%g-i%lld-s%llu.npy", static_cast<long long>(o.n),
                static_cast<long long>(o.layers), o.cond_thresh_ratio, static_cast<long long>(o.cond_iterations),
                static_cast<unsigned long long>(o.seed));
  const std::optional<std::filesystem::path> cached =
      cache_dir ? std::optional(*cache_dir / name) : std::nullopt;
  if (cached && std::filesystem::exists(*cached)) {
    const torch::Tensor w = read_npy(*cached);
    if (w.scalar_type() == torch::kFloat32 && w.dim() == 3 && w.size(0) == o.layers + 1 && w.size(1) == o.n &&
        w.size(2) == o.n) {
      std::vector<torch::Tensor> weights;
      for (int64_t l = 0; l < o.layers; ++l) weights.push_back(w[l].clone());
      MixingNetwork g(std::move(weights), o.negative_slope);
      g.threshold = w[o.layers][0][0].item<double>();
      return g;
    }
    log_warning("mixing network: ignoring the malformed cache file ", cached->string());
  }
  torch::Generator gen = at::detail::createCPUGenerator(o.seed);
  // The threshold: the ⌊iterations·ratio⌋-th smallest condition number of `iterations` draws.
  std::vector<torch::Tensor> conds;
  for (int64_t done = 0; done < o.cond_iterations; done += kChunk) {
    conds.push_back(torch::linalg_cond(pcl_matrices(std::min(kChunk, o.cond_iterations - done), o.n, gen)));
  }
  const torch::Tensor sorted = std::get<0>(torch::cat(conds).sort());
  const double threshold = sorted[static_cast<int64_t>(static_cast<double>(o.cond_iterations) * o.cond_thresh_ratio)].item<double>();
  // Per layer: the first draw (in order) at or below the threshold.
  std::vector<torch::Tensor> weights;
  while (static_cast<int64_t>(weights.size()) < o.layers) {
    const torch::Tensor batch = pcl_matrices(kChunk, o.n, gen);
    const torch::Tensor ok = torch::linalg_cond(batch).le(threshold).nonzero();
    for (int64_t k = 0; k < ok.size(0) && static_cast<int64_t>(weights.size()) < o.layers; ++k) {
      weights.push_back(batch[ok[k][0].item<int64_t>()].to(torch::kFloat32));
    }
  }
  if (cached) {
    std::filesystem::create_directories(cache_dir.value());
    torch::Tensor stored = torch::zeros({o.layers + 1, o.n, o.n}, torch::kFloat32);
    for (int64_t l = 0; l < o.layers; ++l) stored[l].copy_(weights[static_cast<size_t>(l)]);
    stored[o.layers][0][0] = threshold;
    write_npy(*cached, stored);
  }
  MixingNetwork g(std::move(weights), o.negative_slope);
  g.threshold = threshold;
  return g;
}

}  // namespace robustlab::representation
