// The data-generating process g of the contrastive-identifiability study (Zimmermann et al. 2021,
// arXiv:2102.08850, §5.1), built as cl-ica's invertible_network_utils.construct_invertible_mlp
// builds it (../shared/reference/replearn.md §1.2): `layers` bias-free n × n linear maps with
// LeakyReLU(0.2) between them and none after the last, frozen. Each weight matrix has entries
// U(−1, 1) and unit-norm columns ("pcl" init, after Hyvärinen & Morioka's PCL code), and is kept
// only if its 2-norm condition number is at most a threshold: the value at index
// ⌊iterations · ratio⌋ of the sorted condition numbers of `iterations` such matrices (cl-ica calls
// it with ratio 0 and 25,000 iterations, i.e. the best of 25,000 — about 25,000 more draws per
// layer). The accepted matrices are cached per (n, layers, ratio, iterations, seed).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

namespace robustlab::representation {

struct MixingOptions {
  int64_t n = 10;
  int64_t layers = 3;
  double cond_thresh_ratio = 0.0;
  int64_t cond_iterations = 25000;
  double negative_slope = 0.2;
  uint64_t seed = 0;
  void validate() const;  ///< n >= 2, layers >= 1, ratio in [0, 1), iterations >= 1
};

class MixingNetwork {
 public:
  explicit MixingNetwork(std::vector<torch::Tensor> weights, double negative_slope = 0.2);
  /// z: [N, n] -> x = g(z): [N, n]. No gradients flow into the (frozen) weights.
  torch::Tensor forward(const torch::Tensor& z) const;
  /// The exact inverse g^{-1}(x) (float64 solve, float32 result).
  torch::Tensor inverse(const torch::Tensor& x) const;
  /// [n, n] float32 each, applied as x W^T (nn.Linear's convention).
  const std::vector<torch::Tensor>& weights() const { return weights_; }
  /// 2-norm condition number of each weight.
  std::vector<double> condition_numbers() const;
  /// The threshold the weights were accepted under (NaN when built from given weights).
  double threshold = std::nan("");

 private:
  std::vector<torch::Tensor> weights_;
  double negative_slope_;
};

/// Builds g as cl-ica does, reading the accepted matrices from `cache_dir` when they are there and
/// writing them there otherwise (no cache when nullopt). Deterministic per options.seed.
MixingNetwork make_mixing_network(const MixingOptions& options,
                                  const std::optional<std::filesystem::path>& cache_dir = std::nullopt);

}  // namespace robustlab::representation
