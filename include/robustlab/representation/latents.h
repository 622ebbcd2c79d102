// Latent spaces and the distributions on them for the contrastive-identifiability study of
// Zimmermann et al. 2021, "Contrastive Learning Inverts the Data Generating Process"
// (arXiv:2102.08850), as their code brendel-group/cl-ica samples them (spaces.py, vmf.py,
// spaces_utils.py; ../shared/reference/replearn.md §1.1):
//
// - the sphere S^{n-1} of radius r: uniform marginal (a normalised Gaussian); conditionals vMF
//   (Wood's 1994 rejection sampler with d = n − 1), or Normal/Laplace/generalised normal drawn in
//   R^n around the point and projected back onto the sphere;
// - the box [a,b]^n: uniform marginal; Normal/Laplace/generalised-normal conditionals truncated
//   coordinate by coordinate by rejection (each coordinate outside the box is redrawn until it
//   lands inside);
// - R^n: Laplace, Normal or generalised-normal marginals and conditionals (no uniform exists).
//
// Marginals other than uniform are centred at eta = 0 (on the sphere, eta = e_1) with parameter
// m_param. The generalised normal with exponent p and scale λ is μ + λ·s·G^{1/p}, s = ±1,
// G ~ Gamma(1/p, 1): density ∝ exp(−|x − μ|^p / λ^p). The conditional's parameter is σ (Normal),
// λ (Laplace, generalised normal) or κ (vMF).
//
// Every draw takes a torch::Generator, so a seed gives the same samples on every run.
#pragma once

#include <torch/types.h>

#include <string>

namespace robustlab::representation {

enum class SpaceKind { kSphere, kBox, kUnbounded };
/// kGenNormal with p = 1 or 2 is not the same draw as kLaplace / kNormal (cl-ica's --c-p 1/2
/// choose those samplers); kUniform exists only as a marginal, kVmf only as a conditional.
enum class DistributionKind { kUniform, kLaplace, kNormal, kGenNormal, kVmf };

SpaceKind parse_space(const std::string& name);              ///< sphere, box, unbounded
DistributionKind parse_distribution(const std::string& name);  ///< uniform, laplace, normal, gennorm, vmf
std::string to_string(SpaceKind kind);
std::string to_string(DistributionKind kind);

struct Distribution {
  DistributionKind kind = DistributionKind::kUniform;
  double param = 1.0;  ///< σ, λ or κ
  double p = 3.0;      ///< the generalised normal's exponent
};

struct LatentSpaceOptions {
  SpaceKind space = SpaceKind::kBox;
  int64_t n = 10;
  double box_min = 0.0, box_max = 1.0;  ///< cl-ica's main_mlp.py passes [0, 1]
  double radius = 1.0;
  Distribution marginal{DistributionKind::kUniform, 1.0};
  Distribution conditional{DistributionKind::kNormal, 0.05};
  /// Rejection rounds (vMF, box truncation) before a sampler gives up with an error.
  int64_t max_rejection_rounds = 10000;
  /// Throws InvalidArgument for n < 2, a non-positive parameter or radius, an empty box, or a
  /// combination the space does not support (uniform on R^n, vMF off the sphere, ...).
  void validate() const;
};

class LatentSpace {
 public:
  explicit LatentSpace(LatentSpaceOptions options);
  const LatentSpaceOptions& options() const { return options_; }

  /// size samples of the marginal: [size, n] float32.
  torch::Tensor sample_marginal(int64_t size, torch::Generator& gen) const;
  /// One sample of the conditional around each row of z [N, n]: [N, n] float32.
  torch::Tensor sample_conditional(const torch::Tensor& z, torch::Generator& gen) const;

 private:
  torch::Tensor draw(const Distribution& d, const torch::Tensor& mean, torch::Generator& gen) const;
  LatentSpaceOptions options_;
};

/// Wood's (1994) rejection sampler for the vMF distribution on S^{n-1}: one sample around each
/// unit row of mu [N, n] with concentration kappa > 0. float64 arithmetic, float32 result.
torch::Tensor sample_vmf(const torch::Tensor& mu, double kappa, torch::Generator& gen, int64_t max_rounds = 10000);
/// Generalised normal (exponent p, scale lambda) around mean, shape of mean.
torch::Tensor sample_generalized_normal(const torch::Tensor& mean, double lambda, double p, torch::Generator& gen);
/// Laplace(mean, scale), shape of mean, by inversion as torch.distributions.Laplace draws it.
torch::Tensor sample_laplace(const torch::Tensor& mean, double scale, torch::Generator& gen);

}  // namespace robustlab::representation
